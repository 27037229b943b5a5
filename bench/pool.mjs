/** Run `task(i)` for every i in 0..count-1, `concurrency` at a time (the bench's loops, in both processes). */
export async function pool(count, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

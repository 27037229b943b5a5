/** Run `task(i)` for every i in 0..count-1, `concurrency` at a time. */
export declare function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void>;

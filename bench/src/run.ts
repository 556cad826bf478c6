// The benchmark lands in a following commit.
export {};

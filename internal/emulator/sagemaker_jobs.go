package emulator

// STUB: training, processing, transform and tuning jobs (emulator breadth).

func sageMakerJobOps() map[string]handler { return map[string]handler{} }

package emulator

// STUB: SageMaker Search over endpoints, training and tuning jobs.

func sageMakerSearchOps() map[string]handler { return map[string]handler{} }

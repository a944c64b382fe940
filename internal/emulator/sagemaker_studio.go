package emulator

// STUB: Studio domains, user profiles, spaces and apps (emulator breadth).

func sageMakerStudioOps() map[string]handler { return map[string]handler{} }

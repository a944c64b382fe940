// Package hubtest holds the hub function's end-to-end tests: the real
// handler and tick (internal/cli.LambdaTick) as the emulator's Lambda
// function, fanning a tick out to asynchronous worker invocations of
// itself, with the state on dynalite (internal/store/dynamo/dynamotest).
// It has no code of its own.
package hubtest

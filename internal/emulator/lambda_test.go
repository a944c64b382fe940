package emulator_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

// The real SDK's Lambda client invokes an emulated function: Event is
// accepted (202, empty body) and run afterwards; RequestResponse returns
// the function's answer (200) or its error (X-Amz-Function-Error);
// DryRun runs nothing (204). Every invocation is recorded with its caller.
func TestLambdaInvoke(t *testing.T) {
	env := emulatortest.Start(t, "")
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	arn := env.Emu.CreateFunction(emulator.DefaultAccount, "us-east-1", "sagesaver", func(_ context.Context, payload []byte) ([]byte, error) {
		mu.Lock()
		got = append(got, string(payload))
		mu.Unlock()
		if strings.Contains(string(payload), "boom") {
			return nil, errors.New("boom")
		}
		return []byte(`{"ok":true}`), nil
	})
	client := lambda.NewFromConfig(env.Cfg)

	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), InvocationType: lambdatypes.InvocationTypeEvent,
		Payload: []byte(`{"sagesaver":"worker"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Errorf("Event: status %d payload %q, want 202 and none", out.StatusCode, out.Payload)
	}
	env.Emu.WaitFunctions()

	out, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(arn), Payload: []byte(`{"n":1}`), LogType: lambdatypes.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || string(out.Payload) != `{"ok":true}` || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" || aws.ToString(out.LogResult) == "" {
		t.Errorf("RequestResponse: %d %s error %v version %v log %v", out.StatusCode, out.Payload, out.FunctionError, out.ExecutedVersion, out.LogResult)
	}
	out, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("123456789012:function:sagesaver"), Payload: []byte(`"boom"`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorMessage":"boom"`) {
		t.Errorf("function error: %v %s", out.FunctionError, out.Payload)
	}
	out, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), InvocationType: lambdatypes.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %v %v", out, err)
	}
	mu.Lock()
	if want := []string{`{"sagesaver":"worker"}`, `{"n":1}`, `"boom"`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the function ran with %q, want %q", got, want)
	}
	mu.Unlock()
	invs := env.Emu.Invocations()
	if len(invs) != 4 || invs[0].Type != "Event" || invs[0].FunctionARN != arn || invs[3].Type != "DryRun" ||
		invs[0].Caller != "arn:aws:iam::123456789012:user/sagesaver" {
		t.Errorf("invocations: %+v", invs)
	}
	if n := env.Emu.Counters().Calls["lambda:Invoke"]; n != 4 {
		t.Errorf("counted %d lambda:Invoke calls, want 4", n)
	}
}

// Lambda's errors, decoded by the SDK into their modelled types.
func TestLambdaInvokeErrors(t *testing.T) {
	env := emulatortest.Start(t, "")
	ctx := context.Background()
	env.Emu.CreateFunction(emulator.DefaultAccount, "us-east-1", "sagesaver", func(context.Context, []byte) ([]byte, error) { return nil, nil })
	client := lambda.NewFromConfig(env.Cfg, func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })

	_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: lambdatypes.InvocationTypeEvent})
	var nf *lambdatypes.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope") {
		t.Errorf("unknown function: %v", err)
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), Qualifier: aws.String("prod")})
	if !errors.As(err, &nf) {
		t.Errorf("unknown alias: %v", err)
	}
	big := []byte(`"` + strings.Repeat("a", 256*1024) + `"`)
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: big})
	var tl *lambdatypes.RequestTooLargeException
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "262144") {
		t.Errorf("async payload over 256 KB: %v", err)
	}
	if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), Payload: big}); err != nil {
		t.Errorf("the same payload synchronously: %v", err)
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), Payload: []byte("not json")})
	var ic *lambdatypes.InvalidRequestContentException
	if !errors.As(err, &ic) {
		t.Errorf("payload not JSON: %v", err)
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:999999999999:function:sagesaver")})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") && !strings.Contains(err.Error(), "Function not found") {
		t.Errorf("another account's function: %v", err)
	}

	env.Emu.SetFaults(emulator.FaultConfig{Throttle: map[string]emulator.Rate{"lambda:Invoke": {PerSecond: 0.001, Burst: 1}}})
	if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), InvocationType: lambdatypes.InvocationTypeEvent}); err != nil {
		t.Fatal(err)
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sagesaver"), InvocationType: lambdatypes.InvocationTypeEvent})
	var tm *lambdatypes.TooManyRequestsException
	if !errors.As(err, &tm) || tm.Reason != lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("throttled: %v", err)
	}
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		t.Errorf("the SDK does not see %v as a throttle: it would not back off", err)
	}
	env.Emu.WaitFunctions()
}

package awsapi

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// RateLimit returns an API option that paces a client's requests to
// perSecond per operation (with burst), as AWS's per-API, per-region
// throttles do: a client made for one account and region then stays under
// the throttle instead of being refused and backing off, which wastes far
// more time than pacing does. Every attempt, retries included, waits for a
// token. Use one option per client: the limiters are shared by every
// client the option is given to.
func RateLimit(perSecond float64, burst int) func(*middleware.Stack) error {
	var mu sync.Mutex
	limiters := map[string]*rate.Limiter{}
	limiter := func(op string) *rate.Limiter {
		mu.Lock()
		defer mu.Unlock()
		l := limiters[op]
		if l == nil {
			l = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
			limiters[op] = l
		}
		return l
	}
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("sagesaverRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := limiter(awsmiddleware.GetOperationName(ctx)).Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

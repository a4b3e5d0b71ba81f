package inject

import (
	"context"
	"strings"
	"sync"
	"time"
)

// fanOut runs fn for every item in parallel, item i under its own timeout
// bound(i) (nil or 0: the caller's context only), and returns the errors
// by index.
func fanOut[T any](ctx context.Context, bound func(i int) time.Duration, items []T, fn func(ctx context.Context, i int, it T) error) []error {
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() {
			ictx, cancel := ctx, context.CancelFunc(func() {})
			if bound != nil && bound(i) > 0 {
				ictx, cancel = context.WithTimeout(ctx, bound(i))
			}
			defer cancel()
			errs[i] = fn(ictx, i, it)
		})
	}
	wg.Wait()
	return errs
}

// every bounds every item of a fanOut by d.
func every(d time.Duration) func(int) time.Duration {
	return func(int) time.Duration { return d }
}

// JoinErrors joins the non-nil errors of errs into one: nil when there are
// none, the error itself when there is one, else an error whose message is
// one line (the parts separated by "; ") and which errors.Is and errors.As
// see through to every part.
func JoinErrors(errs []error) error {
	var nonNil []error
	for _, e := range errs {
		if e != nil {
			nonNil = append(nonNil, e)
		}
	}
	switch len(nonNil) {
	case 0:
		return nil
	case 1:
		return nonNil[0]
	}
	return joinedError(nonNil)
}

// joinedError is several errors as one sentence.
type joinedError []error

// Error joins the parts with "; ".
func (e joinedError) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the parts, for errors.Is and errors.As.
func (e joinedError) Unwrap() []error { return e }

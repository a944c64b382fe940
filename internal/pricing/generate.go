package pricing

// The catalog in data/ is generated from ../shared/pricing (beside the
// module root) and committed; see docs/pricing.md.
//go:generate go run ./gen

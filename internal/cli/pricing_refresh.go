package cli

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	prtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// priceListFormat is the Price List API's only document format.
const priceListFormat = "aws_v1"

func newPricingRefreshCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh",
		Short: "Fetch current SageMaker prices from the AWS Price List API into the local cache",
		Long: `Fetch current on-demand SageMaker prices (instances, HyperPod nodes, ML
storage, Studio space volumes, Canvas session-hours and MLflow tracking
servers) from the AWS Price List API (service code AmazonSageMaker, called
in us-east-1) and write them to the local price cache, which takes
precedence over the embedded snapshot. With --region, only those regions are fetched; the
embedded prices of other regions stay in use.

Needs the IAM action pricing:GetProducts.`,
		Example: `  sagesaver pricing refresh
  sagesaver pricing refresh --region eu-west-1
  sagesaver pricing info`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPricingRefresh(cmd.Context(), a)
		},
	}
}

// refreshResult is what a refresh fetched.
type refreshResult struct {
	prices  []pricing.Row
	storage []pricing.StorageRow
	skipped int // products the catalog does not keep (spot, Canvas, ...)
}

func runPricingRefresh(ctx context.Context, a *app) error {
	dir, err := pricing.CacheDir(a.Getenv)
	if err != nil {
		return err
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	regions := a.priceRegions()
	res, err := fetchPriceList(ctx, awsapi.NewPriceList(cfg), regions)
	if err != nil {
		return err
	}
	if len(res.prices) == 0 && len(res.storage) == 0 {
		return fmt.Errorf("the Price List API returned no SageMaker prices; the cache is unchanged")
	}
	// Merge with what the cache already holds, so that refreshing one
	// region keeps the others' refreshed prices.
	oldPrices, oldStorage, _, err := pricing.ReadCache(dir)
	if err != nil {
		a.Log.Warn("the existing price cache is unreadable and is replaced", "dir", dir, "err", err)
		oldPrices, oldStorage = nil, nil
	}
	prices := mergeRows(oldPrices, res.prices)
	storage := mergeStorage(oldStorage, res.storage)
	if err := pricing.WriteCachePrices(dir, prices); err != nil {
		return err
	}
	if err := pricing.WriteCacheStorage(dir, storage); err != nil {
		return err
	}
	scope := "every region"
	if len(regions) > 0 {
		scope = fmt.Sprint(regions)
	}
	fmt.Fprintf(a.Stdio.Out, "Fetched %d instance prices and %d storage prices for %s from the AWS Price List API (%d other products skipped).\n",
		len(res.prices), len(res.storage), scope, res.skipped)
	fmt.Fprintf(a.Stdio.Out, "Wrote %s and %s in %s; they take precedence over the embedded snapshot (see sagesaver pricing info).\n",
		pricing.CachePricesFile, pricing.CacheStorageFile, dir)
	return nil
}

// fetchPriceList pages through GetProducts for SageMaker's instance and
// storage products (in regions, or everywhere) and parses them.
func fetchPriceList(ctx context.Context, api awsapi.PriceListReader, regions []string) (*refreshResult, error) {
	res := &refreshResult{}
	scopes := [][]prtypes.Filter{nil}
	if len(regions) > 0 {
		scopes = nil
		for _, r := range regions {
			scopes = append(scopes, []prtypes.Filter{{Type: prtypes.FilterTypeTermMatch, Field: aws.String("regionCode"), Value: aws.String(r)}})
		}
	}
	// The instance and storage families, then the usage types whose family
	// is not known (Canvas sessions, MLflow tracking servers, HyperPod
	// nodes). A product two queries return is read once.
	type query struct {
		what   string
		filter prtypes.Filter
	}
	var queries []query
	for _, family := range []string{pricing.FamilyMLInstance, pricing.FamilyStorage} {
		queries = append(queries, query{family, prtypes.Filter{Type: prtypes.FilterTypeTermMatch, Field: aws.String("productFamily"), Value: aws.String(family)}})
	}
	for _, code := range pricing.UsageTypeCodes {
		queries = append(queries, query{"usage type " + code, prtypes.Filter{Type: prtypes.FilterTypeContains, Field: aws.String("usagetype"), Value: aws.String(code)}})
	}
	seen := map[uint64]bool{}
	for _, q := range queries {
		for _, scope := range scopes {
			filters := append([]prtypes.Filter{q.filter}, scope...)
			p := awspricing.NewGetProductsPaginator(api, &awspricing.GetProductsInput{
				ServiceCode: aws.String(pricing.ServiceCode), Filters: filters,
				FormatVersion: aws.String(priceListFormat), MaxResults: aws.Int32(100),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("get %s products (%s): %w", pricing.ServiceCode, q.what, err)
				}
				for _, doc := range page.PriceList {
					h := fnv.New64a()
					h.Write([]byte(doc))
					if seen[h.Sum64()] {
						continue
					}
					seen[h.Sum64()] = true
					prod, err := pricing.ParsePriceList(doc)
					switch {
					case errors.Is(err, pricing.ErrNotPriced):
						res.skipped++
					case err != nil:
						return nil, err
					case prod.Instance != nil:
						res.prices = append(res.prices, *prod.Instance)
					case prod.Storage != nil:
						res.storage = append(res.storage, *prod.Storage)
					}
				}
			}
		}
	}
	res.prices = mergeRows(nil, res.prices)
	res.storage = mergeStorage(nil, res.storage)
	return res, nil
}

// mergeRows overlays rows on old by region, instance type and component;
// among rows for the same key, the newest as_of wins.
func mergeRows(old, rows []pricing.Row) []pricing.Row {
	type key struct {
		region, typ string
		comp        pricing.Component
	}
	m := map[key]pricing.Row{}
	for _, r := range old {
		m[key{r.Region, r.InstanceType, r.Component}] = r
	}
	fresh := map[key]bool{}
	for _, r := range rows {
		k := key{r.Region, r.InstanceType, r.Component}
		if prev, ok := m[k]; ok && fresh[k] && prev.AsOf > r.AsOf {
			continue
		}
		m[k], fresh[k] = r, true
	}
	out := make([]pricing.Row, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.InstanceType != b.InstanceType {
			return a.InstanceType < b.InstanceType
		}
		return a.Component < b.Component
	})
	return out
}

// mergeStorage is mergeRows for storage rows (by region and item).
func mergeStorage(old, rows []pricing.StorageRow) []pricing.StorageRow {
	type key struct{ region, item string }
	m := map[key]pricing.StorageRow{}
	for _, r := range old {
		m[key{r.Region, r.Item}] = r
	}
	fresh := map[key]bool{}
	for _, r := range rows {
		k := key{r.Region, r.Item}
		if prev, ok := m[k]; ok && fresh[k] && prev.AsOf > r.AsOf {
			continue
		}
		m[k], fresh[k] = r, true
	}
	out := make([]pricing.StorageRow, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Item < out[j].Item
	})
	return out
}

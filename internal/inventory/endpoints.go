package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/resource"
)

type endpoints struct{}

func (endpoints) Kind() resource.Kind { return resource.Endpoint }

// endpointConfig is what the scan needs from DescribeEndpointConfig. An
// endpoint config cannot be changed once created, but it can be deleted and
// created again under the same name with other instances (or made
// asynchronous): so the cache key is the name and the creation time, which
// together name one immutable config. The creation times come from one
// ListEndpointConfigs per region (100 a page), far fewer calls than a
// describe per endpoint.
type endpointConfig struct {
	Async    bool
	Variants map[string]variantConfig
}

type variantConfig struct {
	InstanceType string
	Count        int
	Serverless   bool
	Shadow       bool
}

func (endpoints) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	var out []resource.Resource
	var created map[string]time.Time // config name -> creation time, listed on first use
	p := sagemaker.NewSearchPaginator(t.API.SageMaker, &sagemaker.SearchInput{
		Resource:   smtypes.ResourceTypeEndpoint,
		MaxResults: aws.Int32(100),
		SortBy:     aws.String("CreationTime"),
		SortOrder:  smtypes.SearchSortOrderAscending,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("search endpoints: %w", err)
		}
		for _, rec := range page.Results {
			e := rec.Endpoint
			if e == nil {
				continue
			}
			if created == nil && env.Cache != nil {
				if created, err = listEndpointConfigs(ctx, t); err != nil {
					return out, err
				}
			}
			cfg, err := describeEndpointConfig(ctx, t, env, aws.ToString(e.EndpointConfigName), created)
			if awsapi.IsNotFound(err) {
				// AWS lets a config be deleted while an endpoint uses it:
				// the endpoint still runs (and bills), its instance types
				// are unknown.
				cfg, err = endpointConfig{}, nil
			}
			if err != nil {
				return out, err
			}
			tags := tagMap(e.Tags, func(t smtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
			base := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.Endpoint,
				Name: aws.ToString(e.EndpointName), ARN: aws.ToString(e.EndpointArn),
				Status: string(e.EndpointStatus), Created: e.CreationTime, LastModified: e.LastModifiedTime,
				Tags: tags, Async: cfg.Async,
				Running: e.EndpointStatus != smtypes.EndpointStatusFailed && e.EndpointStatus != smtypes.EndpointStatusOutOfService,
			}
			add := func(name string, current *int32, images []smtypes.DeployedImage, shadow bool) {
				r := base
				r.Variant, r.Shadow = name, shadow
				vc := cfg.Variants[name]
				r.InstanceType, r.Serverless = vc.InstanceType, vc.Serverless
				r.InstanceCount = vc.Count
				if current != nil {
					r.InstanceCount = int(*current)
				}
				if r.Serverless {
					r.InstanceCount = 0
				}
				if len(images) > 0 {
					r.Image = aws.ToString(images[0].SpecifiedImage)
				}
				out = append(out, r)
			}
			for _, v := range e.ProductionVariants {
				add(aws.ToString(v.VariantName), v.CurrentInstanceCount, v.DeployedImages, false)
			}
			for _, v := range e.ShadowProductionVariants {
				add(aws.ToString(v.VariantName), v.CurrentInstanceCount, v.DeployedImages, true)
			}
			if len(e.ProductionVariants) == 0 { // Creating: variants not deployed yet
				for name, vc := range cfg.Variants {
					if !vc.Shadow {
						add(name, nil, nil, false)
					}
				}
			}
		}
	}
	ics, err := inferenceComponents(ctx, t)
	if err != nil {
		return out, err
	}
	return append(out, ics...), nil
}

// listEndpointConfigs returns the creation time of every endpoint config of
// the region, by name.
func listEndpointConfigs(ctx context.Context, t Target) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	p := sagemaker.NewListEndpointConfigsPaginator(t.API.SageMaker, &sagemaker.ListEndpointConfigsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list endpoint configs: %w", err)
		}
		for _, c := range page.EndpointConfigs {
			if c.CreationTime != nil {
				out[aws.ToString(c.EndpointConfigName)] = *c.CreationTime
			}
		}
	}
	return out, nil
}

// describeEndpointConfig describes a config, through the cache when its
// creation time is known (created, from listEndpointConfigs): a config
// listed under another creation time than the cached one is another config.
// A config not listed (created since, or deleted) is described uncached.
func describeEndpointConfig(ctx context.Context, t Target, env *Env, name string, created map[string]time.Time) (endpointConfig, error) {
	var c endpointConfig
	key := ""
	if at, ok := created[name]; ok && env.Cache != nil {
		key = fmt.Sprintf("ec/%s/%s/%s/%d", t.Account, t.Region, name, at.UnixNano())
		if env.Cache.Get(key, &c) {
			return c, nil
		}
	}
	out, err := t.API.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
	if err != nil {
		return c, fmt.Errorf("describe endpoint config %s: %w", name, err)
	}
	c.Async = out.AsyncInferenceConfig != nil
	c.Variants = map[string]variantConfig{}
	add := func(v smtypes.ProductionVariant, shadow bool) {
		c.Variants[aws.ToString(v.VariantName)] = variantConfig{
			InstanceType: string(v.InstanceType),
			Count:        int(aws.ToInt32(v.InitialInstanceCount)),
			Serverless:   v.ServerlessConfig != nil,
			Shadow:       shadow,
		}
	}
	for _, v := range out.ProductionVariants {
		add(v, false)
	}
	for _, v := range out.ShadowProductionVariants {
		add(v, true)
	}
	if key != "" {
		env.Cache.Put(key, c)
	}
	return c, nil
}

// inferenceComponents lists the inference components of the region. They run
// on their endpoint's instances and are not billed on their own; they are
// listed so that idle detection can sum their invocations.
func inferenceComponents(ctx context.Context, t Target) ([]resource.Resource, error) {
	var out []resource.Resource
	p := sagemaker.NewListInferenceComponentsPaginator(t.API.SageMaker, &sagemaker.ListInferenceComponentsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list inference components: %w", err)
		}
		for _, ic := range page.InferenceComponents {
			out = append(out, resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.InferenceComponent,
				Name: aws.ToString(ic.InferenceComponentName), ARN: aws.ToString(ic.InferenceComponentArn),
				Parent: aws.ToString(ic.EndpointName), Variant: aws.ToString(ic.VariantName),
				Status: string(ic.InferenceComponentStatus), Created: ic.CreationTime, LastModified: ic.LastModifiedTime,
			})
		}
	}
	return out, nil
}

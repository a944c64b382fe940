package inventory

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

type studio struct{}

func (studio) Kind() Kind { return StudioApp }

// Collect lists Studio domains (with whether built-in idle shutdown is on
// by default), spaces (with their own idle setting) and apps that are not
// Deleted. ListApps carries each app's resource spec, so apps need no
// describe call.
func (studio) Collect(ctx context.Context, t Target, env *Env) ([]Resource, error) {
	tags, err := tagsByARN(ctx, t, "sagemaker:domain", "sagemaker:space", "sagemaker:app")
	if err != nil {
		return nil, err
	}
	var out []Resource
	domainIdle := map[string]bool{}
	dp := sagemaker.NewListDomainsPaginator(t.API.SageMaker, &sagemaker.ListDomainsInput{MaxResults: aws.Int32(100)})
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list domains: %w", err)
		}
		for _, d := range page.Domains {
			id := aws.ToString(d.DomainId)
			desc, err := t.API.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: d.DomainId})
			if err != nil {
				return out, fmt.Errorf("describe domain %s: %w", id, err)
			}
			idle := idleEnabled(desc.DefaultUserSettings)
			domainIdle[id] = idle
			out = append(out, Resource{
				Account: t.Account, Region: t.Region, Kind: StudioDomain,
				Name: id, ARN: aws.ToString(d.DomainArn), Status: string(d.Status), Parent: aws.ToString(d.DomainName),
				IdleShutdown: aws.Bool(idle), Created: d.CreationTime, LastModified: d.LastModifiedTime,
				Tags: tags[aws.ToString(d.DomainArn)],
			})
		}
	}
	sp := sagemaker.NewListSpacesPaginator(t.API.SageMaker, &sagemaker.ListSpacesInput{MaxResults: aws.Int32(100)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list spaces: %w", err)
		}
		for _, s := range page.Spaces {
			desc, err := t.API.SageMaker.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: s.DomainId, SpaceName: s.SpaceName})
			if err != nil {
				return out, fmt.Errorf("describe space %s: %w", aws.ToString(s.SpaceName), err)
			}
			idle := domainIdle[aws.ToString(s.DomainId)]
			if own, set := spaceIdle(desc.SpaceSettings); set {
				idle = own
			}
			out = append(out, Resource{
				Account: t.Account, Region: t.Region, Kind: StudioSpace,
				Name: aws.ToString(s.SpaceName), ARN: aws.ToString(desc.SpaceArn), Status: string(s.Status),
				Parent: aws.ToString(s.DomainId), IdleShutdown: aws.Bool(idle),
				Created: s.CreationTime, LastModified: s.LastModifiedTime, Tags: tags[aws.ToString(desc.SpaceArn)],
			})
		}
	}
	ap := sagemaker.NewListAppsPaginator(t.API.SageMaker, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list apps: %w", err)
		}
		for _, a := range page.Apps {
			if a.Status == smtypes.AppStatusDeleted {
				continue // ListApps keeps returning deleted apps for a while
			}
			r := Resource{
				Account: t.Account, Region: t.Region, Kind: StudioApp,
				Name: appName(a), Status: string(a.Status), Parent: aws.ToString(a.DomainId),
				AppType: string(a.AppType), InstanceCount: 1, Created: a.CreationTime,
				Running: a.Status == smtypes.AppStatusInService || a.Status == smtypes.AppStatusPending,
			}
			if a.ResourceSpec != nil {
				r.InstanceType = string(a.ResourceSpec.InstanceType)
			}
			if r.InstanceType == "" || r.InstanceType == "system" {
				// The Studio Classic JupyterServer app runs on a free system instance.
				r.InstanceType, r.InstanceCount = "system", 0
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// appName is "<space or user profile>/<AppType>/<AppName>".
func appName(a smtypes.AppDetails) string {
	owner := aws.ToString(a.SpaceName)
	if owner == "" {
		owner = aws.ToString(a.UserProfileName)
	}
	return owner + "/" + string(a.AppType) + "/" + aws.ToString(a.AppName)
}

func idleEnabled(us *smtypes.UserSettings) bool {
	if us == nil {
		return false
	}
	if s := us.JupyterLabAppSettings; s != nil && lifecycleOn(s.AppLifecycleManagement) {
		return true
	}
	if s := us.CodeEditorAppSettings; s != nil && lifecycleOn(s.AppLifecycleManagement) {
		return true
	}
	return false
}

func spaceIdle(ss *smtypes.SpaceSettings) (on, set bool) {
	if ss == nil {
		return false, false
	}
	if s := ss.JupyterLabAppSettings; s != nil && s.AppLifecycleManagement != nil && s.AppLifecycleManagement.IdleSettings != nil {
		return s.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes != nil, true
	}
	if s := ss.CodeEditorAppSettings; s != nil && s.AppLifecycleManagement != nil && s.AppLifecycleManagement.IdleSettings != nil {
		return s.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes != nil, true
	}
	return false, false
}

func lifecycleOn(m *smtypes.AppLifecycleManagement) bool {
	return m != nil && m.IdleSettings != nil && m.IdleSettings.LifecycleManagement == smtypes.LifecycleManagementEnabled
}

package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/sagesaver/sagesaver/internal/resource"
)

type studio struct{}

func (studio) Kind() resource.Kind { return resource.StudioApp }

// Collect lists Studio domains (with whether built-in idle shutdown is on
// by default), spaces (with their own idle setting), each space's EBS
// volume (a SpaceStorage, billed while the space exists) and apps that are
// not Deleted, Canvas apps as CanvasApp. ListApps carries each app's
// resource spec and ListSpaces each space's volume size, so apps and
// volumes need no describe call.
func (studio) Collect(ctx context.Context, t Target, env *Env) ([]resource.Resource, error) {
	tags, err := tagsByARN(ctx, t, "sagemaker:domain", "sagemaker:space", "sagemaker:app")
	if err != nil {
		return nil, err
	}
	var out []resource.Resource
	domainIdle := map[string]bool{}
	dp := sagemaker.NewListDomainsPaginator(t.API.SageMaker, &sagemaker.ListDomainsInput{MaxResults: aws.Int32(100)})
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list domains: %w", err)
		}
		for _, d := range page.Domains {
			id := aws.ToString(d.DomainId)
			idle, err := domainIdleShutdown(ctx, t, env, id, d.LastModifiedTime)
			if err != nil {
				return out, err
			}
			domainIdle[id] = idle
			out = append(out, resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.StudioDomain,
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
			d, err := spaceDescribe(ctx, t, env, aws.ToString(s.DomainId), aws.ToString(s.SpaceName), s.LastModifiedTime)
			if err != nil {
				return out, err
			}
			idle := domainIdle[aws.ToString(s.DomainId)]
			if d.IdleSet {
				idle = d.Idle
			}
			space := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.StudioSpace,
				Name: aws.ToString(s.SpaceName), ARN: d.ARN, Status: string(s.Status),
				Parent: aws.ToString(s.DomainId), IdleShutdown: aws.Bool(idle),
				Created: s.CreationTime, LastModified: s.LastModifiedTime, Tags: tags[d.ARN],
			}
			out = append(out, space, spaceStorage(space, s.SpaceSettingsSummary, d))
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
			r := resource.Resource{
				Account: t.Account, Region: t.Region, Kind: resource.StudioApp,
				Name: appName(a), Status: string(a.Status), Parent: aws.ToString(a.DomainId),
				AppType: string(a.AppType), InstanceCount: 1, Created: a.CreationTime,
				Running: a.Status == smtypes.AppStatusInService || a.Status == smtypes.AppStatusPending,
			}
			r.ARN = appARN(t, a)
			r.Tags = tags[r.ARN]
			if a.AppType == smtypes.AppTypeCanvas {
				// A Canvas session bills per session-hour from login until
				// the app is deleted, not per instance: its resource spec
				// ("system") says nothing about what it costs.
				r.Kind = resource.CanvasApp
				out = append(out, r)
				continue
			}
			r.AgentLastActivity, r.AgentUsage = AgentActivity(r.Tags), AgentUsageOf(r.Tags)
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

// domainIdleShutdown reports whether a domain turns built-in idle shutdown
// on by default. The answer is cached per LastModifiedTime, which changes
// when the domain's settings do.
func domainIdleShutdown(ctx context.Context, t Target, env *Env, id string, lastMod *time.Time) (bool, error) {
	key := fmt.Sprintf("domain/%s/%s/%s@%d", t.Account, t.Region, id, aws.ToTime(lastMod).UnixMilli())
	var idle bool
	if lastMod != nil && env.Cache != nil && env.Cache.Get(key, &idle) {
		return idle, nil
	}
	desc, err := t.API.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(id)})
	if err != nil {
		return false, fmt.Errorf("describe domain %s: %w", id, err)
	}
	idle = idleEnabled(desc.DefaultUserSettings)
	if lastMod != nil && env.Cache != nil {
		env.Cache.Put(key, idle)
	}
	return idle, nil
}

// spaceDetail is what DescribeSpace adds to ListSpaces.
type spaceDetail struct {
	ARN           string
	Idle, IdleSet bool
	// EbsGB is the size of the space's EBS volume, 0 when the settings
	// give none.
	EbsGB int
}

// spaceStorage is the EBS volume of a space: billed while the space
// exists, apps running or not, and gone with it (a deleted space is not
// listed). Its size is in the space's settings: ListSpaces' summary, else
// DescribeSpace's.
func spaceStorage(space resource.Resource, sum *smtypes.SpaceSettingsSummary, d spaceDetail) resource.Resource {
	gb := d.EbsGB
	if sum != nil {
		if n := ebsGB(sum.SpaceStorageSettings); n > 0 {
			gb = n
		}
	}
	return resource.Resource{
		Account: space.Account, Region: space.Region, Kind: resource.SpaceStorage,
		Name: space.Name, ARN: space.ARN, Status: space.Status, Parent: space.Parent,
		VolumeGB: gb, Created: space.Created, LastModified: space.LastModified, Tags: space.Tags,
	}
}

// ebsGB is the EBS volume size in space storage settings, 0 if none.
func ebsGB(s *smtypes.SpaceStorageSettings) int {
	if s == nil || s.EbsStorageSettings == nil {
		return 0
	}
	return int(aws.ToInt32(s.EbsStorageSettings.EbsVolumeSizeInGb))
}

// spaceDescribe describes a space, cached per LastModifiedTime (which a
// change of its settings, its volume size included, moves). The key's
// "space2" is the cache entry's format: entries written before spaceDetail
// had EbsGB are not read as a volume of 0 GB.
func spaceDescribe(ctx context.Context, t Target, env *Env, domain, name string, lastMod *time.Time) (spaceDetail, error) {
	key := fmt.Sprintf("space2/%s/%s/%s/%s@%d", t.Account, t.Region, domain, name, aws.ToTime(lastMod).UnixMilli())
	var d spaceDetail
	if lastMod != nil && env.Cache != nil && env.Cache.Get(key, &d) {
		return d, nil
	}
	desc, err := t.API.SageMaker.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String(domain), SpaceName: aws.String(name)})
	if err != nil {
		return d, fmt.Errorf("describe space %s: %w", name, err)
	}
	d.ARN = aws.ToString(desc.SpaceArn)
	d.Idle, d.IdleSet = spaceIdle(desc.SpaceSettings)
	if desc.SpaceSettings != nil {
		d.EbsGB = ebsGB(desc.SpaceSettings.SpaceStorageSettings)
	}
	if lastMod != nil && env.Cache != nil {
		env.Cache.Put(key, d)
	}
	return d, nil
}

// appARN is the app's ARN, which ListApps does not return: AWS spells it
// arn:aws:sagemaker:REGION:ACCOUNT:app/DOMAIN/OWNER/APPTYPE/NAME, in lower
// case, where OWNER is the space or user profile.
func appARN(t Target, a smtypes.AppDetails) string {
	owner := aws.ToString(a.SpaceName)
	if owner == "" {
		owner = aws.ToString(a.UserProfileName)
	}
	return strings.ToLower(fmt.Sprintf("arn:aws:sagemaker:%s:%s:app/%s/%s/%s/%s", t.Region, t.Account, aws.ToString(a.DomainId), owner, a.AppType, aws.ToString(a.AppName)))
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

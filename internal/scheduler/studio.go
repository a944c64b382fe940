package scheduler

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/schedule"
)

// appKey identifies a Studio app in DescribeApp and DeleteApp.
type appKey struct {
	domain, user, space, name string
	typ                       smtypes.AppType
}

// appName is how a Studio app is named for targets and output, as in the
// scan: OWNER/TYPE/NAME, where OWNER is its space (or, for Studio Classic,
// its user profile): "dev-alice-space/JupyterLab/default".
func (k appKey) appName() string {
	owner := k.space
	if owner == "" {
		owner = k.user
	}
	return owner + "/" + string(k.typ) + "/" + k.name
}

// appState maps a Studio app's status to what a schedule sees. A Studio
// app cannot be stopped and started: stopping it is deleting it (its
// space's storage stays), and its owner opens a new one.
func appState(s smtypes.AppStatus) schedule.State {
	switch s {
	case smtypes.AppStatusInService:
		return schedule.StateRunning
	case smtypes.AppStatusDeleted:
		return schedule.StateStopped
	}
	return schedule.StateUnknown
}

// appComponent is how an app's instance hours are billed (as in the cost
// package): JupyterLab and Code Editor spaces as Studio JupyterLab, the
// Studio Classic kernel gateways as Studio notebooks.
func appComponent(t smtypes.AppType) pricing.Component {
	switch t {
	case smtypes.AppTypeJupyterLab, smtypes.AppTypeCodeEditor:
		return pricing.StudioJupyterLab
	}
	return pricing.StudioNotebook
}

// listApps lists the region's Studio apps that are not deleted, with their
// ARNs (DescribeApp: ListApps does not carry them) and tags.
func listApps(ctx context.Context, reg Region) ([]Resource, error) {
	var tags map[string]map[string]string
	if reg.Tagging != nil {
		var err error
		if tags, err = bulkTags(ctx, reg, "sagemaker:app"); err != nil {
			return nil, err
		}
	}
	var out []Resource
	p := sagemaker.NewListAppsPaginator(reg.SageMaker, &sagemaker.ListAppsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list Studio apps in %s: %w", reg.Region, err)
		}
		for _, a := range page.Apps {
			if a.Status == smtypes.AppStatusDeleted {
				continue // ListApps keeps returning deleted apps for a while
			}
			if a.AppType == smtypes.AppTypeCanvas {
				// A Canvas app is its own kind (canvas-app): it bills per
				// session-hour, not on the "system" instance its spec
				// names, and a policy deletes it on Canvas's own activity
				// metric. A studio-app schedule does not select it.
				continue
			}
			k := appKey{domain: aws.ToString(a.DomainId), user: aws.ToString(a.UserProfileName),
				space: aws.ToString(a.SpaceName), name: aws.ToString(a.AppName), typ: a.AppType}
			r, err := describeApp(ctx, reg, k, tags == nil)
			if err != nil {
				return nil, err
			}
			if tags != nil {
				r.Tags = tags[r.ARN]
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// describeApp reads one Studio app afresh, with its tags from ListTags
// when withTags is set.
func describeApp(ctx context.Context, reg Region, k appKey, withTags bool) (Resource, error) {
	in := &sagemaker.DescribeAppInput{DomainId: aws.String(k.domain), AppType: k.typ, AppName: aws.String(k.name)}
	if k.space != "" {
		in.SpaceName = aws.String(k.space)
	} else {
		in.UserProfileName = aws.String(k.user)
	}
	d, err := reg.SageMaker.DescribeApp(ctx, in)
	if err != nil {
		return Resource{}, fmt.Errorf("describe Studio app %s in %s: %w", k.appName(), reg.Region, err)
	}
	r := Resource{
		Kind: schedule.KindStudioApp, Account: reg.Account, Region: reg.Region,
		Name: k.appName(), ARN: aws.ToString(d.AppArn), Status: string(d.Status), State: appState(d.Status), Created: aws.ToTime(d.CreationTime), app: &k,
	}
	if d.ResourceSpec != nil && d.ResourceSpec.InstanceType != smtypes.AppInstanceTypeSystem {
		r.InstanceType = string(d.ResourceSpec.InstanceType)
	}
	if withTags {
		if r.Tags, err = listTags(ctx, reg, r.ARN); err != nil {
			return Resource{}, err
		}
	}
	return r, nil
}

// deleteApp stops a Studio app the only way there is: DeleteApp
// (asynchronous: the app passes through Deleting).
func deleteApp(ctx context.Context, reg Region, k appKey) error {
	in := &sagemaker.DeleteAppInput{DomainId: aws.String(k.domain), AppType: k.typ, AppName: aws.String(k.name)}
	if k.space != "" {
		in.SpaceName = aws.String(k.space)
	} else {
		in.UserProfileName = aws.String(k.user)
	}
	if _, err := reg.SageMaker.DeleteApp(ctx, in); err != nil {
		return fmt.Errorf("delete Studio app %s in %s: %w", k.appName(), reg.Region, err)
	}
	return nil
}

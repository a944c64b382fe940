package emulator

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// Studio: domains, user profiles, spaces and the apps that run in them.
// An app is the billable part: a JupyterLab, CodeEditor, JupyterServer or
// KernelGateway container on an ml.* instance. Deleting an app passes
// through Deleting to Deleted, and Deleted apps stay listed, as on AWS.

// Durations of Studio's asynchronous status changes.
const (
	domainCreateDuration = 5 * time.Minute
	appCreateDuration    = 3 * time.Minute
	appDeleteDuration    = 2 * time.Minute
	// appHealthCheckInterval: SageMaker updates an InService app's
	// LastHealthCheckTimestamp and LastUserActivityTimestamp on its health
	// checks, whether or not anyone uses the app, so that neither tells
	// idleness; they read as "a few minutes ago" while the app runs.
	appHealthCheckInterval = 5 * time.Minute
)

// Bounds of the idle timeout of built-in idle shutdown, in minutes
// (AWS's documented range: 60 minutes to 365 days).
const (
	minIdleTimeout = 60
	maxIdleTimeout = 525600
)

type studioState struct {
	domains  map[string]*domain      // by id
	profiles map[string]*userProfile // by domain id + "/" + name
	spaces   map[string]*space       // by domain id + "/" + name
	apps     []*app                  // in creation order, Deleted ones included
}

func (st *sageMakerState) studioOf() *studioState {
	if st.studio == nil {
		st.studio = &studioState{domains: map[string]*domain{}, profiles: map[string]*userProfile{}, spaces: map[string]*space{}}
	}
	return st.studio
}

type domain struct {
	id, name, arn   string
	status          string
	created, lastMo time.Time
	readyAt         time.Time // Pending -> InService
	userSettings    *smtypes.UserSettings
	spaceSettings   *smtypes.DefaultSpaceSettings
}

type userProfile struct {
	domainID, name, arn string
	created, lastMo     time.Time
	settings            *smtypes.UserSettings
}

type space struct {
	domainID, name, arn string
	owner, sharing      string
	appType             string
	created, lastMo     time.Time
	settings            *smtypes.SpaceSettings
	status              string    // "" is InService (sagemaker_spaces.go)
	readyAt, deleteAt   time.Time // Pending -> InService, Deleting -> gone
}

type app struct {
	domainID, user, space string
	appType, name, arn    string
	status                string
	instanceType, image   string
	created               time.Time
	readyAt               time.Time  // Pending -> InService
	deleteAt              time.Time  // Deleting -> Deleted
	stoppedAt             time.Time  // when it left InService
	activity              *generator // Canvas: its TimeSinceLastActive history (sagemaker_canvas.go)
	// agent is true when a simulated sagesaver agent runs in the app (a
	// scenario heartbeat fresh at the start, liveAgent): it refreshes its
	// heartbeat while the app is InService (beat).
	agent bool
}

func (a *app) owner() string {
	if a.space != "" {
		return a.space
	}
	return a.user
}

// settle applies a due status change; it reports whether the app has
// just been deleted.
func (a *app) settle(now time.Time) (deleted bool) {
	switch a.status {
	case "Pending":
		if !now.Before(a.readyAt) {
			a.status = "InService"
		}
	case "Deleting":
		if !now.Before(a.deleteAt) {
			a.status = "Deleted"
			return true
		}
	}
	return false
}

// settle applies due status changes. A deleted app's tags go with it, as
// on AWS (the Deleted app stays listed, untagged).
func (st *sageMakerState) settleStudio(now time.Time) {
	s := st.studioOf()
	for _, d := range s.domains {
		if d.status == "Pending" && !now.Before(d.readyAt) {
			d.status, d.lastMo = "InService", d.readyAt
		}
	}
	for _, a := range s.apps {
		if a.settle(now) {
			delete(st.tags, a.arn)
			continue
		}
		if a.agent && a.status == "InService" {
			st.beat(a.arn, a.readyAt, now)
		}
	}
	st.settleSpaces(s, now)
}

// studioFor settles and returns the region's Studio state.
func studioFor(c *Call) *studioState {
	st := c.Region.SageMaker
	st.settle(c.Now)
	st.settleStudio(c.Now)
	return st.studioOf()
}

// studioArnExists reports whether arn names a domain, user profile, space
// or app that exists.
func (st *sageMakerState) studioArnExists(arn string) bool {
	if st.studio == nil || !strings.Contains(arn, ":sagemaker:") {
		return false
	}
	s := st.studio
	for _, d := range s.domains {
		if d.arn == arn {
			return true
		}
	}
	for _, p := range s.profiles {
		if p.arn == arn {
			return true
		}
	}
	for _, sp := range s.spaces {
		if sp.arn == arn {
			return true
		}
	}
	for _, a := range s.apps {
		if a.arn == arn && a.status != "Deleted" {
			return true
		}
	}
	return false
}

func sageMakerStudioOps() map[string]handler {
	return map[string]handler{
		"CreateDomain":        op(createDomain),
		"DescribeDomain":      op(describeDomain),
		"ListDomains":         op(listDomains),
		"UpdateDomain":        op(updateDomain),
		"DescribeUserProfile": op(describeUserProfile),
		"ListUserProfiles":    op(listUserProfiles),
		"DescribeSpace":       op(describeSpace),
		"ListSpaces":          op(listSpaces),
		"UpdateSpace":         op(updateSpace),
		"CreateSpace":         op(createSpace), // sagemaker_spaces.go
		"DeleteSpace":         op(deleteSpace),
		"CreateApp":           op(createApp),
		"DescribeApp":         op(describeApp),
		"ListApps":            op(listApps),
		"DeleteApp":           op(deleteApp),
	}
}

// domainID derives a stable domain id ("d-" and 12 characters) from the
// account, region and name.
func domainID(account, region, name string) string {
	h := fnv.New64a()
	h.Write([]byte(account + "/" + region + "/" + name))
	id := strconv.FormatUint(h.Sum64(), 36)
	for len(id) < 12 {
		id = "0" + id
	}
	return "d-" + id[:12]
}

func studioNotFound(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "ResourceNotFound", Message: fmt.Sprintf(format, args...)}
}

func domainFor(s *studioState, c *Call, id *string) (*domain, error) {
	if e := required("DomainId", id != nil); e != nil {
		return nil, e
	}
	d, ok := s.domains[*id]
	if !ok {
		return nil, studioNotFound("Domain %s not found", c.ARN("sagemaker", "domain/"+*id))
	}
	return d, nil
}

// checkIdle validates built-in idle shutdown settings as AWS does.
func checkIdle(path string, is *smtypes.IdleSettings) *wire.Error {
	if is == nil {
		return nil
	}
	for _, v := range []struct {
		member string
		value  *int32
	}{
		{"idleTimeoutInMinutes", is.IdleTimeoutInMinutes},
		{"minIdleTimeoutInMinutes", is.MinIdleTimeoutInMinutes},
		{"maxIdleTimeoutInMinutes", is.MaxIdleTimeoutInMinutes},
	} {
		if v.value == nil {
			continue
		}
		if *v.value < minIdleTimeout {
			return validation("1 validation error detected: Value '%d' at '%s.%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v.value, path, v.member, minIdleTimeout)
		}
		if *v.value > maxIdleTimeout {
			return validation("1 validation error detected: Value '%d' at '%s.%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v.value, path, v.member, maxIdleTimeout)
		}
	}
	if is.MinIdleTimeoutInMinutes != nil && is.MaxIdleTimeoutInMinutes != nil && *is.MinIdleTimeoutInMinutes > *is.MaxIdleTimeoutInMinutes {
		return validation("MinIdleTimeoutInMinutes must be less than or equal to MaxIdleTimeoutInMinutes")
	}
	if is.IdleTimeoutInMinutes != nil {
		if is.MinIdleTimeoutInMinutes != nil && *is.IdleTimeoutInMinutes < *is.MinIdleTimeoutInMinutes ||
			is.MaxIdleTimeoutInMinutes != nil && *is.IdleTimeoutInMinutes > *is.MaxIdleTimeoutInMinutes {
			return validation("IdleTimeoutInMinutes must be between MinIdleTimeoutInMinutes and MaxIdleTimeoutInMinutes")
		}
	}
	return nil
}

func checkUserSettings(path string, us *smtypes.UserSettings) *wire.Error {
	if us == nil {
		return nil
	}
	if us.JupyterLabAppSettings != nil && us.JupyterLabAppSettings.AppLifecycleManagement != nil {
		if e := checkIdle(path+".jupyterLabAppSettings.appLifecycleManagement.idleSettings", us.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings); e != nil {
			return e
		}
	}
	if us.CodeEditorAppSettings != nil && us.CodeEditorAppSettings.AppLifecycleManagement != nil {
		if e := checkIdle(path+".codeEditorAppSettings.appLifecycleManagement.idleSettings", us.CodeEditorAppSettings.AppLifecycleManagement.IdleSettings); e != nil {
			return e
		}
	}
	return nil
}

// mergeUserSettings applies an update: each settings group present in upd
// replaces the current one, as UpdateDomain does.
func mergeUserSettings(cur, upd *smtypes.UserSettings) *smtypes.UserSettings {
	if cur == nil {
		cur = &smtypes.UserSettings{}
	}
	if upd == nil {
		return cur
	}
	out := *cur
	if upd.ExecutionRole != nil {
		out.ExecutionRole = upd.ExecutionRole
	}
	if upd.JupyterLabAppSettings != nil {
		out.JupyterLabAppSettings = upd.JupyterLabAppSettings
	}
	if upd.CodeEditorAppSettings != nil {
		out.CodeEditorAppSettings = upd.CodeEditorAppSettings
	}
	if upd.JupyterServerAppSettings != nil {
		out.JupyterServerAppSettings = upd.JupyterServerAppSettings
	}
	if upd.KernelGatewayAppSettings != nil {
		out.KernelGatewayAppSettings = upd.KernelGatewayAppSettings
	}
	if upd.SecurityGroups != nil {
		out.SecurityGroups = upd.SecurityGroups
	}
	if upd.SharingSettings != nil {
		out.SharingSettings = upd.SharingSettings
	}
	if upd.SpaceStorageSettings != nil {
		out.SpaceStorageSettings = upd.SpaceStorageSettings
	}
	if upd.DefaultLandingUri != nil {
		out.DefaultLandingUri = upd.DefaultLandingUri
	}
	if upd.StudioWebPortal != "" {
		out.StudioWebPortal = upd.StudioWebPortal
	}
	return &out
}

func createDomain(c *Call, in *sagemaker.CreateDomainInput) (*sagemaker.CreateDomainOutput, error) {
	if e := required("DomainName", in.DomainName != nil); e != nil {
		return nil, e
	}
	if e := required("AuthMode", in.AuthMode != ""); e != nil {
		return nil, e
	}
	if e := required("DefaultUserSettings", in.DefaultUserSettings != nil); e != nil {
		return nil, e
	}
	if e := checkUserSettings("defaultUserSettings", in.DefaultUserSettings); e != nil {
		return nil, e
	}
	s := studioFor(c)
	for _, d := range s.domains {
		if d.name == *in.DomainName {
			return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Domain with name %s already exists", d.name)}
		}
	}
	id := domainID(c.Account.ID, c.Region.Name, *in.DomainName)
	d := &domain{
		id: id, name: *in.DomainName, arn: c.ARN("sagemaker", "domain/"+id), status: "Pending",
		created: c.Now, lastMo: c.Now, readyAt: c.Now.Add(domainCreateDuration),
		userSettings: mergeUserSettings(nil, in.DefaultUserSettings), spaceSettings: in.DefaultSpaceSettings,
	}
	if len(in.Tags) > 0 {
		if e := c.Region.SageMaker.setTags(d.arn, in.Tags); e != nil {
			return nil, e
		}
	}
	s.domains[id] = d
	return &sagemaker.CreateDomainOutput{DomainArn: aws.String(d.arn), DomainId: aws.String(id), Url: aws.String(domainURL(d.id, c.Region.Name))}, nil
}

func domainURL(id, region string) string {
	return fmt.Sprintf("https://%s.studio.%s.sagemaker.aws", id, region)
}

func describeDomain(c *Call, in *sagemaker.DescribeDomainInput) (*sagemaker.DescribeDomainOutput, error) {
	s := studioFor(c)
	d, err := domainFor(s, c, in.DomainId)
	if err != nil {
		return nil, err
	}
	return &sagemaker.DescribeDomainOutput{
		DomainId:                   aws.String(d.id),
		DomainArn:                  aws.String(d.arn),
		DomainName:                 aws.String(d.name),
		Status:                     smtypes.DomainStatus(d.status),
		AuthMode:                   smtypes.AuthModeIam,
		AppNetworkAccessType:       smtypes.AppNetworkAccessTypePublicInternetOnly,
		AppSecurityGroupManagement: smtypes.AppSecurityGroupManagementService,
		DefaultUserSettings:        d.userSettings,
		DefaultSpaceSettings:       d.spaceSettings,
		HomeEfsFileSystemId:        aws.String("fs-" + d.id[2:]),
		SubnetIds:                  []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
		VpcId:                      aws.String("vpc-0a1b2c3d4e5f60000"),
		Url:                        aws.String(domainURL(d.id, c.Region.Name)),
		CreationTime:               aws.Time(d.created),
		LastModifiedTime:           aws.Time(d.lastMo),
	}, nil
}

// Studio listings return 10 results by default and at most 100.
const (
	defaultStudioPage = 10
	maxStudioPage     = 100
)

func studioPage[T any](items []T, token *string, maxResults *int32) ([]T, *string, error) {
	if maxResults == nil {
		maxResults = aws.Int32(defaultStudioPage)
	}
	return paginate(items, token, maxResults, maxStudioPage)
}

func listDomains(c *Call, in *sagemaker.ListDomainsInput) (*sagemaker.ListDomainsOutput, error) {
	s := studioFor(c)
	items := make([]*domain, 0, len(s.domains))
	for _, d := range s.domains {
		items = append(items, d)
	}
	sortBy(items, true, func(a, b *domain) bool {
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.id < b.id
	})
	page, next, err := studioPage(items, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListDomainsOutput{NextToken: next, Domains: []smtypes.DomainDetails{}}
	for _, d := range page {
		out.Domains = append(out.Domains, smtypes.DomainDetails{
			DomainId: aws.String(d.id), DomainArn: aws.String(d.arn), DomainName: aws.String(d.name),
			Status: smtypes.DomainStatus(d.status), Url: aws.String(domainURL(d.id, c.Region.Name)),
			CreationTime: aws.Time(d.created), LastModifiedTime: aws.Time(d.lastMo),
		})
	}
	return out, nil
}

func updateDomain(c *Call, in *sagemaker.UpdateDomainInput) (*sagemaker.UpdateDomainOutput, error) {
	s := studioFor(c)
	d, err := domainFor(s, c, in.DomainId)
	if err != nil {
		return nil, err
	}
	if d.status != "InService" {
		return nil, validation("Domain %s is in %s status and cannot be updated", d.id, d.status)
	}
	if e := checkUserSettings("defaultUserSettings", in.DefaultUserSettings); e != nil {
		return nil, e
	}
	d.userSettings = mergeUserSettings(d.userSettings, in.DefaultUserSettings)
	if in.DefaultSpaceSettings != nil {
		if ds := in.DefaultSpaceSettings; ds.JupyterLabAppSettings != nil && ds.JupyterLabAppSettings.AppLifecycleManagement != nil {
			if e := checkIdle("defaultSpaceSettings.jupyterLabAppSettings.appLifecycleManagement.idleSettings", ds.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings); e != nil {
				return nil, e
			}
		}
		d.spaceSettings = in.DefaultSpaceSettings
	}
	d.lastMo = c.Now
	return &sagemaker.UpdateDomainOutput{DomainArn: aws.String(d.arn)}, nil
}

func profileFor(s *studioState, c *Call, domainID, name *string) (*userProfile, error) {
	if e := required("DomainId", domainID != nil); e != nil {
		return nil, e
	}
	if e := required("UserProfileName", name != nil); e != nil {
		return nil, e
	}
	p, ok := s.profiles[*domainID+"/"+*name]
	if !ok {
		return nil, studioNotFound("User profile %s not found", c.ARN("sagemaker", "user-profile/"+*domainID+"/"+*name))
	}
	return p, nil
}

func describeUserProfile(c *Call, in *sagemaker.DescribeUserProfileInput) (*sagemaker.DescribeUserProfileOutput, error) {
	s := studioFor(c)
	p, err := profileFor(s, c, in.DomainId, in.UserProfileName)
	if err != nil {
		return nil, err
	}
	return &sagemaker.DescribeUserProfileOutput{
		DomainId: aws.String(p.domainID), UserProfileArn: aws.String(p.arn), UserProfileName: aws.String(p.name),
		Status: smtypes.UserProfileStatusInService, UserSettings: p.settings,
		HomeEfsFileSystemUid: aws.String("200001"),
		CreationTime:         aws.Time(p.created), LastModifiedTime: aws.Time(p.lastMo),
	}, nil
}

func sortByTimes[T any](items []T, key string, desc bool, created, modified func(T) time.Time, name func(T) string) {
	at := created
	if key == "LastModifiedTime" {
		at = modified
	}
	sortBy(items, desc, func(a, b T) bool {
		if !at(a).Equal(at(b)) {
			return at(a).Before(at(b))
		}
		return name(a) < name(b)
	})
}

func listUserProfiles(c *Call, in *sagemaker.ListUserProfilesInput) (*sagemaker.ListUserProfilesOutput, error) {
	s := studioFor(c)
	var items []*userProfile
	for _, p := range s.profiles {
		if in.DomainIdEquals != nil && p.domainID != *in.DomainIdEquals {
			continue
		}
		if in.UserProfileNameContains != nil && !strings.Contains(p.name, *in.UserProfileNameContains) {
			continue
		}
		items = append(items, p)
	}
	sortByTimes(items, string(in.SortBy), in.SortOrder != smtypes.SortOrderAscending,
		func(p *userProfile) time.Time { return p.created }, func(p *userProfile) time.Time { return p.lastMo },
		func(p *userProfile) string { return p.domainID + "/" + p.name })
	page, next, err := studioPage(items, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListUserProfilesOutput{NextToken: next, UserProfiles: []smtypes.UserProfileDetails{}}
	for _, p := range page {
		out.UserProfiles = append(out.UserProfiles, smtypes.UserProfileDetails{
			DomainId: aws.String(p.domainID), UserProfileName: aws.String(p.name), Status: smtypes.UserProfileStatusInService,
			CreationTime: aws.Time(p.created), LastModifiedTime: aws.Time(p.lastMo),
		})
	}
	return out, nil
}

func spaceFor(s *studioState, c *Call, domainID, name *string) (*space, error) {
	if e := required("DomainId", domainID != nil); e != nil {
		return nil, e
	}
	if e := required("SpaceName", name != nil); e != nil {
		return nil, e
	}
	sp, ok := s.spaces[*domainID+"/"+*name]
	if !ok {
		return nil, studioNotFound("Space %s not found", c.ARN("sagemaker", "space/"+*domainID+"/"+*name))
	}
	return sp, nil
}

func describeSpace(c *Call, in *sagemaker.DescribeSpaceInput) (*sagemaker.DescribeSpaceOutput, error) {
	s := studioFor(c)
	sp, err := spaceFor(s, c, in.DomainId, in.SpaceName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeSpaceOutput{
		DomainId: aws.String(sp.domainID), SpaceArn: aws.String(sp.arn), SpaceName: aws.String(sp.name),
		SpaceDisplayName: aws.String(sp.name), Status: sp.spaceStatus(), SpaceSettings: sp.settings,
		SpaceSharingSettings: &smtypes.SpaceSharingSettings{SharingType: smtypes.SharingType(sp.sharing)},
		HomeEfsFileSystemUid: aws.String("200005"),
		Url:                  aws.String(fmt.Sprintf("https://%s.studio.%s.sagemaker.aws/%s", sp.domainID, c.Region.Name, sp.name)),
		CreationTime:         aws.Time(sp.created), LastModifiedTime: aws.Time(sp.lastMo),
	}
	if sp.owner != "" {
		out.OwnershipSettings = &smtypes.OwnershipSettings{OwnerUserProfileName: aws.String(sp.owner)}
	}
	return out, nil
}

func listSpaces(c *Call, in *sagemaker.ListSpacesInput) (*sagemaker.ListSpacesOutput, error) {
	s := studioFor(c)
	var items []*space
	for _, sp := range s.spaces {
		if in.DomainIdEquals != nil && sp.domainID != *in.DomainIdEquals {
			continue
		}
		if in.SpaceNameContains != nil && !strings.Contains(sp.name, *in.SpaceNameContains) {
			continue
		}
		items = append(items, sp)
	}
	sortByTimes(items, string(in.SortBy), in.SortOrder != smtypes.SortOrderAscending,
		func(sp *space) time.Time { return sp.created }, func(sp *space) time.Time { return sp.lastMo },
		func(sp *space) string { return sp.domainID + "/" + sp.name })
	page, next, err := studioPage(items, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListSpacesOutput{NextToken: next, Spaces: []smtypes.SpaceDetails{}}
	for _, sp := range page {
		d := smtypes.SpaceDetails{
			DomainId: aws.String(sp.domainID), SpaceName: aws.String(sp.name), SpaceDisplayName: aws.String(sp.name),
			Status:                      sp.spaceStatus(),
			SpaceSettingsSummary:        &smtypes.SpaceSettingsSummary{AppType: smtypes.AppType(sp.appType), SpaceStorageSettings: storage(sp.ebsGB())},
			SpaceSharingSettingsSummary: &smtypes.SpaceSharingSettingsSummary{SharingType: smtypes.SharingType(sp.sharing)},
			CreationTime:                aws.Time(sp.created), LastModifiedTime: aws.Time(sp.lastMo),
		}
		if sp.owner != "" {
			d.OwnershipSettingsSummary = &smtypes.OwnershipSettingsSummary{OwnerUserProfileName: aws.String(sp.owner)}
		}
		out.Spaces = append(out.Spaces, d)
	}
	return out, nil
}

// domainIdle returns the domain's idle settings for an app type, or nil.
func (d *domain) idle(appType string) *smtypes.IdleSettings {
	us := d.userSettings
	if us == nil {
		return nil
	}
	var alm *smtypes.AppLifecycleManagement
	switch appType {
	case "JupyterLab":
		if us.JupyterLabAppSettings != nil {
			alm = us.JupyterLabAppSettings.AppLifecycleManagement
		}
	case "CodeEditor":
		if us.CodeEditorAppSettings != nil {
			alm = us.CodeEditorAppSettings.AppLifecycleManagement
		}
	}
	if alm == nil {
		return nil
	}
	return alm.IdleSettings
}

func updateSpace(c *Call, in *sagemaker.UpdateSpaceInput) (*sagemaker.UpdateSpaceOutput, error) {
	s := studioFor(c)
	sp, err := spaceFor(s, c, in.DomainId, in.SpaceName)
	if err != nil {
		return nil, err
	}
	d := s.domains[sp.domainID]
	if in.SpaceSettings != nil {
		cur := sp.settings
		if cur == nil {
			cur = &smtypes.SpaceSettings{}
		}
		next := *cur
		upd := in.SpaceSettings
		if err := checkSpaceStorage(d, sp, upd.SpaceStorageSettings); err != nil {
			return nil, err
		}
		for _, t := range []struct {
			appType string
			alm     *smtypes.SpaceAppLifecycleManagement
		}{
			{"JupyterLab", jupyterLabLifecycle(upd)},
			{"CodeEditor", codeEditorLifecycle(upd)},
		} {
			if t.alm == nil || t.alm.IdleSettings == nil || t.alm.IdleSettings.IdleTimeoutInMinutes == nil {
				continue
			}
			v := *t.alm.IdleSettings.IdleTimeoutInMinutes
			is := d.idle(t.appType)
			if is == nil || is.LifecycleManagement != smtypes.LifecycleManagementEnabled {
				return nil, validation("Idle shutdown is not enabled for %s apps in domain %s: enable it with UpdateDomain first", t.appType, d.id)
			}
			lo, hi := int32(minIdleTimeout), int32(maxIdleTimeout)
			if is.MinIdleTimeoutInMinutes != nil {
				lo = *is.MinIdleTimeoutInMinutes
			}
			if is.MaxIdleTimeoutInMinutes != nil {
				hi = *is.MaxIdleTimeoutInMinutes
			}
			if v < lo || v > hi {
				return nil, validation("IdleTimeoutInMinutes %d for space %s must be between %d and %d, the bounds set for the domain", v, sp.name, lo, hi)
			}
		}
		if upd.JupyterLabAppSettings != nil {
			next.JupyterLabAppSettings = upd.JupyterLabAppSettings
		}
		if upd.CodeEditorAppSettings != nil {
			next.CodeEditorAppSettings = upd.CodeEditorAppSettings
		}
		if upd.SpaceStorageSettings != nil {
			next.SpaceStorageSettings = upd.SpaceStorageSettings
		}
		if upd.AppType != "" {
			next.AppType = upd.AppType
			sp.appType = string(upd.AppType)
		}
		sp.settings = &next
	}
	sp.lastMo = c.Now
	return &sagemaker.UpdateSpaceOutput{SpaceArn: aws.String(sp.arn)}, nil
}

func jupyterLabLifecycle(s *smtypes.SpaceSettings) *smtypes.SpaceAppLifecycleManagement {
	if s.JupyterLabAppSettings == nil {
		return nil
	}
	return s.JupyterLabAppSettings.AppLifecycleManagement
}

func codeEditorLifecycle(s *smtypes.SpaceSettings) *smtypes.SpaceAppLifecycleManagement {
	if s.CodeEditorAppSettings == nil {
		return nil
	}
	return s.CodeEditorAppSettings.AppLifecycleManagement
}

// appTypes are the app types the emulator serves.
var appTypes = []string{"JupyterServer", "KernelGateway", "JupyterLab", "CodeEditor", "Canvas"}

func validAppType(t string) bool {
	for _, a := range appTypes {
		if a == t {
			return true
		}
	}
	return false
}

// defaultAppImage is the SageMaker image an app runs when none is given:
// SageMaker Distribution for JupyterLab and Code Editor, the Studio Classic
// images for the others (081325390199 is SageMaker's image account in
// us-east-1; the emulator uses it in every region).
func defaultAppImage(region, appType string) string {
	img := map[string]string{
		"JupyterServer": "jupyter-server-3",
		"KernelGateway": "sagemaker-data-science-310-v1",
		"JupyterLab":    "sagemaker-distribution-cpu",
		"CodeEditor":    "sagemaker-distribution-cpu",
		"Canvas":        "sagemaker-canvas",
	}[appType]
	return fmt.Sprintf("arn:aws:sagemaker:%s:081325390199:image/%s", region, img)
}

func appARN(region, account, domainID, owner, appType, name string) string {
	return strings.ToLower(fmt.Sprintf("arn:aws:sagemaker:%s:%s:app/%s/%s/%s/%s", region, account, domainID, owner, appType, name))
}

// findApp returns the newest app with the identity given, Deleted ones
// included.
func (s *studioState) findApp(domainID, user, space, appType, name string) *app {
	for i := len(s.apps) - 1; i >= 0; i-- {
		a := s.apps[i]
		if a.domainID == domainID && a.user == user && a.space == space && a.appType == appType && a.name == name {
			return a
		}
	}
	return nil
}

// appIdentity checks the members that name an app.
func appIdentity(s *studioState, c *Call, domainID *string, appType smtypes.AppType, appName, user, spaceName *string) (*domain, error) {
	if e := required("DomainId", domainID != nil); e != nil {
		return nil, e
	}
	if e := required("AppType", appType != ""); e != nil {
		return nil, e
	}
	if e := required("AppName", appName != nil); e != nil {
		return nil, e
	}
	if !validAppType(string(appType)) {
		return nil, validation("1 validation error detected: Value '%s' at 'appType' failed to satisfy constraint: Member must satisfy enum value set: [%s]", appType, strings.Join(appTypes, ", "))
	}
	if (user == nil) == (spaceName == nil) {
		return nil, validation("Exactly one of UserProfileName or SpaceName must be specified")
	}
	return domainFor(s, c, domainID)
}

func createApp(c *Call, in *sagemaker.CreateAppInput) (*sagemaker.CreateAppOutput, error) {
	s := studioFor(c)
	d, err := appIdentity(s, c, in.DomainId, in.AppType, in.AppName, in.UserProfileName, in.SpaceName)
	if err != nil {
		return nil, err
	}
	user, spaceName := aws.ToString(in.UserProfileName), aws.ToString(in.SpaceName)
	if in.AppType == smtypes.AppTypeCanvas && user == "" {
		return nil, validation("Canvas apps belong to a user profile: specify UserProfileName, not SpaceName")
	}
	if user != "" {
		if _, err := profileFor(s, c, in.DomainId, in.UserProfileName); err != nil {
			return nil, err
		}
	} else if _, err := spaceFor(s, c, in.DomainId, in.SpaceName); err != nil {
		return nil, err
	}
	owner := user + spaceName
	arn := appARN(c.Region.Name, c.Account.ID, d.id, owner, string(in.AppType), *in.AppName)
	if a := s.findApp(d.id, user, spaceName, string(in.AppType), *in.AppName); a != nil && a.status != "Deleted" && a.status != "Failed" {
		return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("App %s already exists", arn)}
	}
	a := &app{
		domainID: d.id, user: user, space: spaceName, appType: string(in.AppType), name: *in.AppName, arn: arn,
		status: "Pending", created: c.Now, readyAt: c.Now.Add(appCreateDuration),
		instanceType: "ml.t3.medium", image: defaultAppImage(c.Region.Name, string(in.AppType)),
	}
	if a.appType == "JupyterServer" || a.appType == "Canvas" {
		a.instanceType = "system"
	}
	if rs := in.ResourceSpec; rs != nil {
		if rs.InstanceType != "" {
			a.instanceType = string(rs.InstanceType)
		}
		if rs.SageMakerImageArn != nil {
			a.image = *rs.SageMakerImageArn
		}
	}
	if len(in.Tags) > 0 {
		if e := c.Region.SageMaker.setTags(arn, in.Tags); e != nil {
			return nil, e
		}
	}
	s.apps = append(s.apps, a)
	// The user who created the app is active in it when it comes up.
	startCanvasActivity(c.Region, a, a.readyAt)
	return &sagemaker.CreateAppOutput{AppArn: aws.String(arn)}, nil
}

// lastSeen is the time of an app's latest health check: recent while it is
// InService, frozen when it left service.
func (a *app) lastSeen(now time.Time) *time.Time {
	at := a.stoppedAt
	switch a.status {
	case "Pending":
		return nil
	case "InService":
		at = now
	}
	if at.IsZero() {
		return nil
	}
	t := at.Truncate(appHealthCheckInterval)
	if t.Before(a.readyAt) {
		t = a.readyAt
	}
	return aws.Time(t)
}

func (a *app) resourceSpec() *smtypes.ResourceSpec {
	return &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceType(a.instanceType), SageMakerImageArn: aws.String(a.image)}
}

func describeApp(c *Call, in *sagemaker.DescribeAppInput) (*sagemaker.DescribeAppOutput, error) {
	s := studioFor(c)
	if _, err := appIdentity(s, c, in.DomainId, in.AppType, in.AppName, in.UserProfileName, in.SpaceName); err != nil {
		return nil, err
	}
	a := s.findApp(*in.DomainId, aws.ToString(in.UserProfileName), aws.ToString(in.SpaceName), string(in.AppType), *in.AppName)
	if a == nil {
		return nil, studioNotFound("App %s not found", appARN(c.Region.Name, c.Account.ID, *in.DomainId, aws.ToString(in.UserProfileName)+aws.ToString(in.SpaceName), string(in.AppType), *in.AppName))
	}
	out := &sagemaker.DescribeAppOutput{
		AppArn: aws.String(a.arn), AppName: aws.String(a.name), AppType: smtypes.AppType(a.appType),
		DomainId: aws.String(a.domainID), Status: smtypes.AppStatus(a.status), ResourceSpec: a.resourceSpec(),
		CreationTime:              aws.Time(a.created),
		LastHealthCheckTimestamp:  a.lastSeen(c.Now),
		LastUserActivityTimestamp: a.lastSeen(c.Now),
	}
	if a.user != "" {
		out.UserProfileName = aws.String(a.user)
	} else {
		out.SpaceName = aws.String(a.space)
	}
	return out, nil
}

func listApps(c *Call, in *sagemaker.ListAppsInput) (*sagemaker.ListAppsOutput, error) {
	s := studioFor(c)
	if in.UserProfileNameEquals != nil && in.SpaceNameEquals != nil {
		return nil, validation("Only one of UserProfileNameEquals or SpaceNameEquals can be specified")
	}
	var items []*app
	for _, a := range s.apps {
		if in.DomainIdEquals != nil && a.domainID != *in.DomainIdEquals {
			continue
		}
		if in.UserProfileNameEquals != nil && a.user != *in.UserProfileNameEquals {
			continue
		}
		if in.SpaceNameEquals != nil && a.space != *in.SpaceNameEquals {
			continue
		}
		items = append(items, a)
	}
	// The only sort key is CreationTime; Ascending unless told otherwise.
	sortBy(items, in.SortOrder == smtypes.SortOrderDescending, func(a, b *app) bool {
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.arn < b.arn
	})
	page, next, err := studioPage(items, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListAppsOutput{NextToken: next, Apps: []smtypes.AppDetails{}}
	for _, a := range page {
		d := smtypes.AppDetails{
			AppName: aws.String(a.name), AppType: smtypes.AppType(a.appType), DomainId: aws.String(a.domainID),
			Status: smtypes.AppStatus(a.status), ResourceSpec: a.resourceSpec(), CreationTime: aws.Time(a.created),
		}
		if a.user != "" {
			d.UserProfileName = aws.String(a.user)
		} else {
			d.SpaceName = aws.String(a.space)
		}
		out.Apps = append(out.Apps, d)
	}
	return out, nil
}

func deleteApp(c *Call, in *sagemaker.DeleteAppInput) (*sagemaker.DeleteAppOutput, error) {
	s := studioFor(c)
	if _, err := appIdentity(s, c, in.DomainId, in.AppType, in.AppName, in.UserProfileName, in.SpaceName); err != nil {
		return nil, err
	}
	a := s.findApp(*in.DomainId, aws.ToString(in.UserProfileName), aws.ToString(in.SpaceName), string(in.AppType), *in.AppName)
	if a == nil || a.status == "Deleted" {
		arn := appARN(c.Region.Name, c.Account.ID, *in.DomainId, aws.ToString(in.UserProfileName)+aws.ToString(in.SpaceName), string(in.AppType), *in.AppName)
		return nil, studioNotFound("App %s does not exist or is already deleted", arn)
	}
	if a.status == "Deleting" {
		return nil, validation("App %s is not in a valid state to be deleted: it is Deleting", a.arn)
	}
	if a.status == "InService" {
		a.stoppedAt = c.Now
	}
	stopCanvasActivity(a, c.Now)
	a.status, a.deleteAt = "Deleting", c.Now.Add(appDeleteDuration)
	return &sagemaker.DeleteAppOutput{}, nil
}

// IdleShutdownScenario is a domain's built-in idle shutdown for JupyterLab
// and Code Editor apps.
type IdleShutdownScenario struct {
	// Enabled false renders LifecycleManagement DISABLED.
	Enabled bool `yaml:"enabled"`
	// Timeout is the default idle timeout; Min and Max bound what users
	// may set on their spaces. All are durations in whole minutes.
	Timeout Age `yaml:"timeout,omitempty"`
	Min     Age `yaml:"min,omitempty"`
	Max     Age `yaml:"max,omitempty"`
}

// DomainScenario is a Studio domain.
type DomainScenario struct {
	Name string `yaml:"name"`
	// ID is the domain id; empty derives a stable one from the name.
	ID  string `yaml:"id,omitempty"`
	Age Age    `yaml:"age,omitempty"`
	// IdleShutdown absent: the domain predates built-in idle shutdown and
	// has no AppLifecycleManagement at all.
	IdleShutdown *IdleShutdownScenario `yaml:"idleShutdown,omitempty"`
	Tags         map[string]string     `yaml:"tags,omitempty"`
}

// UserProfileScenario is a user profile in a domain (by domain name).
type UserProfileScenario struct {
	Domain string            `yaml:"domain"`
	Name   string            `yaml:"name"`
	Age    Age               `yaml:"age,omitempty"`
	Tags   map[string]string `yaml:"tags,omitempty"`
}

// SpaceScenario is a space in a domain.
type SpaceScenario struct {
	Domain string `yaml:"domain"`
	Name   string `yaml:"name"`
	// Owner is the owning user profile of a private space.
	Owner string `yaml:"owner,omitempty"`
	// Sharing is Private (default with an owner) or Shared.
	Sharing string `yaml:"sharing,omitempty"`
	// AppType is JupyterLab (default) or CodeEditor.
	AppType string `yaml:"appType,omitempty"`
	// InstanceType is the space's default instance type (default ml.t3.medium).
	InstanceType string `yaml:"instanceType,omitempty"`
	// IdleTimeout is the space's own idle timeout, if set.
	IdleTimeout Age `yaml:"idleTimeout,omitempty"`
	// EbsVolumeSizeGB is the space's EBS volume (default 5).
	EbsVolumeSizeGB int32             `yaml:"ebsVolumeSizeGB,omitempty"`
	Age             Age               `yaml:"age,omitempty"`
	Tags            map[string]string `yaml:"tags,omitempty"`
}

// AppScenario is a Studio app, owned by a user profile or a space.
type AppScenario struct {
	Domain string `yaml:"domain"`
	User   string `yaml:"user,omitempty"`
	Space  string `yaml:"space,omitempty"`
	// Type is JupyterServer, KernelGateway, JupyterLab or CodeEditor.
	Type string `yaml:"type"`
	// Name defaults to "default".
	Name         string `yaml:"name,omitempty"`
	InstanceType string `yaml:"instanceType,omitempty"`
	// Image is the SageMaker image ARN; empty picks the type's default.
	Image string `yaml:"image,omitempty"`
	// Status is InService (default), Pending, Failed, Deleting or Deleted.
	Status string `yaml:"status,omitempty"`
	// Age is the time since creation; DeletedAge, for Deleted apps, the
	// time since deletion (default: now).
	Age        Age `yaml:"age,omitempty"`
	DeletedAge Age `yaml:"deletedAge,omitempty"`
	// LastActive (Canvas apps only) is how long ago the user was last
	// active in the app (default: when it came InService); it drives the
	// app's TimeSinceLastActive metric.
	LastActive Age               `yaml:"lastActive,omitempty"`
	Tags       map[string]string `yaml:"tags,omitempty"`
}

func minutes(a Age, field string) (*int32, error) {
	if a == "" {
		return nil, nil
	}
	d, err := a.Duration()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if d%time.Minute != 0 {
		return nil, fmt.Errorf("%s: %s is not a whole number of minutes", field, a)
	}
	m := int32(d / time.Minute)
	if m < minIdleTimeout || m > maxIdleTimeout {
		return nil, fmt.Errorf("%s: %s is outside AWS's range of 60 minutes to 365 days", field, a)
	}
	return &m, nil
}

// loadStudio seeds a region's Studio resources from its scenario.
func loadStudio(r *Region, rs RegionScenario, now time.Time, path string) error {
	if len(rs.Domains)+len(rs.UserProfiles)+len(rs.Spaces)+len(rs.Apps) == 0 {
		return nil
	}
	st := r.SageMaker
	s := st.studioOf()
	arn := func(resource string) string {
		return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s", r.Name, r.AccountID, resource)
	}
	byName := map[string]*domain{}
	role := fmt.Sprintf("arn:aws:iam::%s:role/SageMakerExecution", r.AccountID)
	for i, ds := range rs.Domains {
		field := fmt.Sprintf("%s.domains[%d]", path, i)
		if ds.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if byName[ds.Name] != nil {
			return fmt.Errorf("%s.name: duplicate domain %q", field, ds.Name)
		}
		age, err := ds.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		id := ds.ID
		if id == "" {
			id = domainID(r.AccountID, r.Name, ds.Name)
		}
		us := &smtypes.UserSettings{
			ExecutionRole:     aws.String(role),
			StudioWebPortal:   smtypes.StudioWebPortalEnabled,
			DefaultLandingUri: aws.String("studio::"),
			JupyterLabAppSettings: &smtypes.JupyterLabAppSettings{
				DefaultResourceSpec: &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceTypeMlT3Medium, SageMakerImageArn: aws.String(defaultAppImage(r.Name, "JupyterLab"))},
			},
			CodeEditorAppSettings: &smtypes.CodeEditorAppSettings{
				DefaultResourceSpec: &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceTypeMlT3Medium, SageMakerImageArn: aws.String(defaultAppImage(r.Name, "CodeEditor"))},
			},
		}
		if is := ds.IdleShutdown; is != nil {
			settings := &smtypes.IdleSettings{LifecycleManagement: smtypes.LifecycleManagementDisabled}
			if is.Enabled {
				settings.LifecycleManagement = smtypes.LifecycleManagementEnabled
			}
			if settings.IdleTimeoutInMinutes, err = minutes(is.Timeout, field+".idleShutdown.timeout"); err != nil {
				return err
			}
			if settings.MinIdleTimeoutInMinutes, err = minutes(is.Min, field+".idleShutdown.min"); err != nil {
				return err
			}
			if settings.MaxIdleTimeoutInMinutes, err = minutes(is.Max, field+".idleShutdown.max"); err != nil {
				return err
			}
			if e := checkIdle("idleShutdown", settings); e != nil {
				return fmt.Errorf("%s.idleShutdown: %s", field, e.Message)
			}
			us.JupyterLabAppSettings.AppLifecycleManagement = &smtypes.AppLifecycleManagement{IdleSettings: settings}
			ce := *settings
			us.CodeEditorAppSettings.AppLifecycleManagement = &smtypes.AppLifecycleManagement{IdleSettings: &ce}
		}
		d := &domain{
			id: id, name: ds.Name, arn: arn("domain/" + id), status: "InService",
			created: now.Add(-age), lastMo: now.Add(-age), userSettings: us,
			spaceSettings: &smtypes.DefaultSpaceSettings{ExecutionRole: aws.String(role)},
		}
		byName[ds.Name] = d
		s.domains[id] = d
		if err := st.setTags(d.arn, tagList(ds.Tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	domainOf := func(field, name string) (*domain, error) {
		d, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("%s.domain: no domain %q in this region", field, name)
		}
		return d, nil
	}
	for i, ps := range rs.UserProfiles {
		field := fmt.Sprintf("%s.userProfiles[%d]", path, i)
		d, err := domainOf(field, ps.Domain)
		if err != nil {
			return err
		}
		if ps.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		age, err := ps.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		p := &userProfile{domainID: d.id, name: ps.Name, arn: arn("user-profile/" + d.id + "/" + ps.Name),
			created: now.Add(-age), lastMo: now.Add(-age), settings: &smtypes.UserSettings{ExecutionRole: aws.String(role)}}
		if s.profiles[d.id+"/"+ps.Name] != nil {
			return fmt.Errorf("%s.name: duplicate user profile %q", field, ps.Name)
		}
		s.profiles[d.id+"/"+ps.Name] = p
		if err := st.setTags(p.arn, tagList(ps.Tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	for i, ss := range rs.Spaces {
		field := fmt.Sprintf("%s.spaces[%d]", path, i)
		d, err := domainOf(field, ss.Domain)
		if err != nil {
			return err
		}
		if ss.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if ss.Owner != "" && s.profiles[d.id+"/"+ss.Owner] == nil {
			return fmt.Errorf("%s.owner: no user profile %q in domain %s", field, ss.Owner, ss.Domain)
		}
		age, err := ss.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		sp := &space{domainID: d.id, name: ss.Name, arn: arn("space/" + d.id + "/" + ss.Name), owner: ss.Owner,
			sharing: ss.Sharing, appType: ss.AppType, created: now.Add(-age), lastMo: now.Add(-age)}
		if sp.sharing == "" {
			sp.sharing = "Private"
			if ss.Owner == "" {
				sp.sharing = "Shared"
			}
		}
		if sp.sharing != "Private" && sp.sharing != "Shared" {
			return fmt.Errorf("%s.sharing: %q is not Private or Shared", field, sp.sharing)
		}
		if sp.appType == "" {
			sp.appType = "JupyterLab"
		}
		if sp.appType != "JupyterLab" && sp.appType != "CodeEditor" {
			return fmt.Errorf("%s.appType: %q is not JupyterLab or CodeEditor", field, sp.appType)
		}
		it := ss.InstanceType
		if it == "" {
			it = "ml.t3.medium"
		}
		timeout, err := minutes(ss.IdleTimeout, field+".idleTimeout")
		if err != nil {
			return err
		}
		var alm *smtypes.SpaceAppLifecycleManagement
		if timeout != nil {
			alm = &smtypes.SpaceAppLifecycleManagement{IdleSettings: &smtypes.SpaceIdleSettings{IdleTimeoutInMinutes: timeout}}
		}
		spec := &smtypes.ResourceSpec{InstanceType: smtypes.AppInstanceType(it), SageMakerImageArn: aws.String(defaultAppImage(r.Name, sp.appType))}
		gb := ss.EbsVolumeSizeGB
		if gb == 0 {
			gb, _ = d.ebsBounds()
		}
		if _, max := d.ebsBounds(); gb < defaultSpaceEbsGB || gb > max {
			return fmt.Errorf("%s.ebsVolumeSizeGB: %d is not between %d and %d", field, gb, defaultSpaceEbsGB, max)
		}
		sp.settings = &smtypes.SpaceSettings{AppType: smtypes.AppType(sp.appType), SpaceStorageSettings: storage(gb)}
		if sp.appType == "JupyterLab" {
			sp.settings.JupyterLabAppSettings = &smtypes.SpaceJupyterLabAppSettings{DefaultResourceSpec: spec, AppLifecycleManagement: alm}
		} else {
			sp.settings.CodeEditorAppSettings = &smtypes.SpaceCodeEditorAppSettings{DefaultResourceSpec: spec, AppLifecycleManagement: alm}
		}
		if s.spaces[d.id+"/"+ss.Name] != nil {
			return fmt.Errorf("%s.name: duplicate space %q", field, ss.Name)
		}
		s.spaces[d.id+"/"+ss.Name] = sp
		if err := st.setTags(sp.arn, tagList(ss.Tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	for i, as := range rs.Apps {
		field := fmt.Sprintf("%s.apps[%d]", path, i)
		a, err := scenarioApp(r, s, byName, as, now, field)
		if err != nil {
			return err
		}
		s.apps = append(s.apps, a)
		if a.appType == "Canvas" && a.status != "Failed" {
			last := a.readyAt
			if as.LastActive != "" {
				ago, err := as.LastActive.Duration()
				if err != nil {
					return fmt.Errorf("%s.lastActive: %w", field, err)
				}
				last = now.Add(-ago)
				if last.Before(a.created) {
					return fmt.Errorf("%s.lastActive: before the app was created (age %s)", field, as.Age)
				}
			}
			startCanvasActivity(r, a, last)
		}
		if a.status != "Deleted" {
			a.agent = liveAgent(as.Tags, now)
			if err := st.setTags(a.arn, tagList(as.Tags)); err != nil {
				return fmt.Errorf("%s.tags: %s", field, err.Message)
			}
		}
	}
	// Creation order, as CreateApp would have appended them.
	sort.SliceStable(s.apps, func(i, j int) bool { return s.apps[i].created.Before(s.apps[j].created) })
	return nil
}

func scenarioApp(r *Region, s *studioState, byName map[string]*domain, as AppScenario, now time.Time, field string) (*app, error) {
	d, ok := byName[as.Domain]
	if !ok {
		return nil, fmt.Errorf("%s.domain: no domain %q in this region", field, as.Domain)
	}
	if (as.User == "") == (as.Space == "") {
		return nil, fmt.Errorf("%s: exactly one of user and space is required", field)
	}
	if as.User != "" && s.profiles[d.id+"/"+as.User] == nil {
		return nil, fmt.Errorf("%s.user: no user profile %q in domain %s", field, as.User, as.Domain)
	}
	if as.Space != "" && s.spaces[d.id+"/"+as.Space] == nil {
		return nil, fmt.Errorf("%s.space: no space %q in domain %s", field, as.Space, as.Domain)
	}
	if as.Type == "Canvas" && as.Space != "" {
		return nil, fmt.Errorf("%s.space: a Canvas app belongs to a user profile (user:), not a space", field)
	}
	if as.LastActive != "" && as.Type != "Canvas" {
		return nil, fmt.Errorf("%s.lastActive: only Canvas apps publish TimeSinceLastActive", field)
	}
	if !validAppType(as.Type) {
		return nil, fmt.Errorf("%s.type: %q is not one of %s", field, as.Type, strings.Join(appTypes, ", "))
	}
	age, err := as.Age.Duration()
	if err != nil {
		return nil, fmt.Errorf("%s.age: %w", field, err)
	}
	deletedAge, err := as.DeletedAge.Duration()
	if err != nil {
		return nil, fmt.Errorf("%s.deletedAge: %w", field, err)
	}
	a := &app{
		domainID: d.id, user: as.User, space: as.Space, appType: as.Type, name: as.Name,
		status: as.Status, instanceType: as.InstanceType, image: as.Image, created: now.Add(-age),
	}
	if a.name == "" {
		a.name = "default"
	}
	a.arn = appARN(r.Name, r.AccountID, d.id, a.owner(), a.appType, a.name)
	if a.instanceType == "" {
		a.instanceType = "ml.t3.medium"
		if a.appType == "JupyterServer" || a.appType == "Canvas" {
			a.instanceType = "system"
		}
	}
	if a.image == "" {
		a.image = defaultAppImage(r.Name, a.appType)
	}
	a.readyAt = a.created.Add(appCreateDuration)
	switch a.status {
	case "", "InService":
		a.status = "InService"
		if a.readyAt.After(now) {
			a.readyAt = now
		}
	case "Pending":
		a.readyAt = now.Add(appCreateDuration)
	case "Failed":
	case "Deleting":
		a.stoppedAt, a.deleteAt = now, now.Add(appDeleteDuration)
	case "Deleted":
		a.stoppedAt = now.Add(-deletedAge)
		a.deleteAt = a.stoppedAt.Add(appDeleteDuration)
		if a.stoppedAt.Before(a.created) {
			return nil, fmt.Errorf("%s.deletedAge: deleted before it was created (age %s)", field, as.Age)
		}
	default:
		return nil, fmt.Errorf("%s.status: %q is not one of InService, Pending, Failed, Deleting, Deleted", field, as.Status)
	}
	if prev := s.findApp(a.domainID, a.user, a.space, a.appType, a.name); prev != nil && prev.status != "Deleted" && a.status != "Deleted" {
		return nil, fmt.Errorf("%s: duplicate app %s", field, a.arn)
	}
	return a, nil
}

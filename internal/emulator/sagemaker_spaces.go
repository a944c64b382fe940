package emulator

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// A Studio space has its own EBS volume, billed while the space exists,
// apps running or not: SpaceSettings.SpaceStorageSettings.
// EbsStorageSettings.EbsVolumeSizeInGb. CreateSpace and DeleteSpace make
// and remove spaces; a deleted space's volume is gone with it.

// Durations of a space's asynchronous status changes.
const (
	spaceCreateDuration = time.Minute
	spaceDeleteDuration = 2 * time.Minute
)

// AWS's defaults for a space's EBS volume when the domain sets none.
const (
	defaultSpaceEbsGB = 5
	maxSpaceEbsGB     = 100
)

// spaceStatus is the space's status as AWS reports it.
func (sp *space) spaceStatus() smtypes.SpaceStatus {
	if sp.status == "" {
		return smtypes.SpaceStatusInService
	}
	return smtypes.SpaceStatus(sp.status)
}

// ebsGB is the size of the space's EBS volume.
func (sp *space) ebsGB() int32 {
	if s := sp.settings; s != nil && s.SpaceStorageSettings != nil && s.SpaceStorageSettings.EbsStorageSettings != nil {
		return aws.ToInt32(s.SpaceStorageSettings.EbsStorageSettings.EbsVolumeSizeInGb)
	}
	return defaultSpaceEbsGB
}

// storage is the SpaceStorageSettings of a volume of gb GiB.
func storage(gb int32) *smtypes.SpaceStorageSettings {
	return &smtypes.SpaceStorageSettings{EbsStorageSettings: &smtypes.EbsStorageSettings{EbsVolumeSizeInGb: aws.Int32(gb)}}
}

// ebsBounds are the domain's default and maximum space volume sizes.
func (d *domain) ebsBounds() (def, max int32) {
	def, max = defaultSpaceEbsGB, maxSpaceEbsGB
	var es *smtypes.DefaultEbsStorageSettings
	if d.spaceSettings != nil && d.spaceSettings.SpaceStorageSettings != nil {
		es = d.spaceSettings.SpaceStorageSettings.DefaultEbsStorageSettings
	}
	if es == nil && d.userSettings != nil && d.userSettings.SpaceStorageSettings != nil {
		es = d.userSettings.SpaceStorageSettings.DefaultEbsStorageSettings
	}
	if es != nil {
		if es.DefaultEbsVolumeSizeInGb != nil {
			def = *es.DefaultEbsVolumeSizeInGb
		}
		if es.MaximumEbsVolumeSizeInGb != nil {
			max = *es.MaximumEbsVolumeSizeInGb
		}
	}
	return def, max
}

// settleSpaces applies due status changes; a deleted space goes with its tags.
func (st *sageMakerState) settleSpaces(s *studioState, now time.Time) {
	for k, sp := range s.spaces {
		switch {
		case sp.status == "Pending" && !now.Before(sp.readyAt):
			sp.status, sp.lastMo = "InService", sp.readyAt
		case sp.status == "Deleting" && !now.Before(sp.deleteAt):
			delete(s.spaces, k)
			delete(st.tags, sp.arn)
		}
	}
}

func createSpace(c *Call, in *sagemaker.CreateSpaceInput) (*sagemaker.CreateSpaceOutput, error) {
	s := studioFor(c)
	d, err := domainFor(s, c, in.DomainId)
	if err != nil {
		return nil, err
	}
	if e := required("SpaceName", in.SpaceName != nil); e != nil {
		return nil, e
	}
	arn := c.ARN("sagemaker", "space/"+d.id+"/"+*in.SpaceName)
	if s.spaces[d.id+"/"+*in.SpaceName] != nil {
		return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Space %s already exists", arn)}
	}
	sp := &space{domainID: d.id, name: *in.SpaceName, arn: arn, sharing: "Shared", appType: "JupyterLab",
		status: "Pending", created: c.Now, lastMo: c.Now, readyAt: c.Now.Add(spaceCreateDuration)}
	if in.OwnershipSettings != nil && in.OwnershipSettings.OwnerUserProfileName != nil {
		sp.owner = *in.OwnershipSettings.OwnerUserProfileName
		if _, err := profileFor(s, c, in.DomainId, &sp.owner); err != nil {
			return nil, err
		}
		sp.sharing = "Private"
	}
	if in.SpaceSharingSettings != nil && in.SpaceSharingSettings.SharingType != "" {
		sp.sharing = string(in.SpaceSharingSettings.SharingType)
	}
	if sp.sharing == "Private" && sp.owner == "" {
		return nil, validation("A private space needs OwnershipSettings.OwnerUserProfileName")
	}
	settings := smtypes.SpaceSettings{}
	if in.SpaceSettings != nil {
		settings = *in.SpaceSettings
	}
	if settings.AppType != "" {
		sp.appType = string(settings.AppType)
	}
	settings.AppType = smtypes.AppType(sp.appType)
	def, max := d.ebsBounds()
	gb := def
	if ss := settings.SpaceStorageSettings; ss != nil && ss.EbsStorageSettings != nil && ss.EbsStorageSettings.EbsVolumeSizeInGb != nil {
		gb = *ss.EbsStorageSettings.EbsVolumeSizeInGb
	}
	if gb < defaultSpaceEbsGB || gb > max {
		return nil, validation("EbsVolumeSizeInGb %d for space %s must be between %d and %d, the maximum set for the domain", gb, sp.name, defaultSpaceEbsGB, max)
	}
	settings.SpaceStorageSettings = storage(gb)
	sp.settings = &settings
	if len(in.Tags) > 0 {
		if e := c.Region.SageMaker.setTags(arn, in.Tags); e != nil {
			return nil, e
		}
	}
	s.spaces[d.id+"/"+sp.name] = sp
	return &sagemaker.CreateSpaceOutput{SpaceArn: aws.String(arn)}, nil
}

func deleteSpace(c *Call, in *sagemaker.DeleteSpaceInput) (*sagemaker.DeleteSpaceOutput, error) {
	s := studioFor(c)
	sp, err := spaceFor(s, c, in.DomainId, in.SpaceName)
	if err != nil {
		return nil, err
	}
	if sp.status == "Deleting" {
		return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Space %s is already being deleted", sp.arn)}
	}
	for _, a := range s.apps {
		if a.domainID == sp.domainID && a.space == sp.name && a.status != "Deleted" && a.status != "Failed" {
			return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Space %s has app %s in status %s: delete its apps first", sp.arn, a.arn, a.status)}
		}
	}
	sp.status, sp.lastMo, sp.deleteAt = "Deleting", c.Now, c.Now.Add(spaceDeleteDuration)
	return &sagemaker.DeleteSpaceOutput{}, nil
}

// checkSpaceStorage checks an UpdateSpace volume size: at most the
// domain's maximum, and never smaller than the volume is (EBS volumes
// only grow).
func checkSpaceStorage(d *domain, sp *space, upd *smtypes.SpaceStorageSettings) error {
	if upd == nil || upd.EbsStorageSettings == nil || upd.EbsStorageSettings.EbsVolumeSizeInGb == nil {
		return nil
	}
	gb := *upd.EbsStorageSettings.EbsVolumeSizeInGb
	_, max := d.ebsBounds()
	if gb < sp.ebsGB() {
		return validation("EbsVolumeSizeInGb %d for space %s is smaller than its volume (%d GB): a space's volume can only grow", gb, sp.name, sp.ebsGB())
	}
	if gb > max {
		return validation("EbsVolumeSizeInGb %d for space %s must be at most %d, the maximum set for the domain", gb, sp.name, max)
	}
	return nil
}

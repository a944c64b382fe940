package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// MLflow tracking servers bill per hour while they run (Created or
// Started) and can be stopped and started. Their status machine:
// Creating -> Created, Stopping -> Stopped, Starting -> Started,
// Deleting -> gone.

// Durations of a tracking server's asynchronous status changes, about what
// AWS takes (creation is the slow one, 20 to 25 minutes).
const (
	mlflowCreateDuration = 20 * time.Minute
	mlflowStopDuration   = 5 * time.Minute
	mlflowStartDuration  = 10 * time.Minute
	mlflowDeleteDuration = 5 * time.Minute
)

// mlflowDefaultVersion is the MLflow version AWS picks when a request names none.
const mlflowDefaultVersion = "2.16.2"

type trackingServer struct {
	machine
	name          string
	size          string
	version       string
	artifactStore string
	roleArn       string
	window        string
	autoRegister  bool
	created       time.Time
}

// active is AWS's IsActive: whether the server is up (and billing).
func (t *trackingServer) active() smtypes.IsTrackingServerActive {
	switch t.status {
	case "Created", "Started", "Updating", "Updated", "Stopping", "MaintenanceInProgress", "MaintenanceComplete":
		return smtypes.IsTrackingServerActiveActive
	}
	return smtypes.IsTrackingServerActiveInactive
}

func (t *trackingServer) url(region string) string {
	return fmt.Sprintf("https://t-%s.%s.experiments.sagemaker.aws", strings.ToLower(t.name), region)
}

func (st *sageMakerState) mlflowOf() map[string]*trackingServer {
	if st.mlflow == nil {
		st.mlflow = map[string]*trackingServer{}
	}
	return st.mlflow
}

func sageMakerMlflowOps() map[string]handler {
	return map[string]handler{
		"CreateMlflowTrackingServer":   op(createMlflowTrackingServer),
		"DescribeMlflowTrackingServer": op(describeMlflowTrackingServer),
		"ListMlflowTrackingServers":    op(listMlflowTrackingServers),
		"StopMlflowTrackingServer":     op(stopMlflowTrackingServer),
		"StartMlflowTrackingServer":    op(startMlflowTrackingServer),
		"DeleteMlflowTrackingServer":   op(deleteMlflowTrackingServer),
	}
}

// trackingServerFor returns the named server or SageMaker's ResourceNotFound.
func trackingServerFor(c *Call, name *string) (*trackingServer, error) {
	if e := required("TrackingServerName", name != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	t, ok := st.mlflow[*name]
	if !ok {
		return nil, &wire.Error{Code: "ResourceNotFound", Message: fmt.Sprintf("Tracking server %s not found", c.ARN("sagemaker", "mlflow-tracking-server/"+*name))}
	}
	return t, nil
}

// mlflowConflict is SageMaker's answer to an operation the server's
// status does not allow.
func mlflowConflict(t *trackingServer, verb string) *wire.Error {
	return &wire.Error{Code: "ConflictException", Message: fmt.Sprintf("Cannot %s tracking server %s in status %s", verb, t.arn, t.status)}
}

func createMlflowTrackingServer(c *Call, in *sagemaker.CreateMlflowTrackingServerInput) (*sagemaker.CreateMlflowTrackingServerOutput, error) {
	for _, r := range []struct {
		member  string
		present bool
	}{{"TrackingServerName", in.TrackingServerName != nil}, {"ArtifactStoreUri", in.ArtifactStoreUri != nil}, {"RoleArn", in.RoleArn != nil}} {
		if e := required(r.member, r.present); e != nil {
			return nil, e
		}
	}
	size := string(in.TrackingServerSize)
	switch size {
	case "":
		size = string(smtypes.TrackingServerSizeS)
	case "Small", "Medium", "Large":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'trackingServerSize' failed to satisfy constraint: Member must satisfy enum value set: [Small, Medium, Large]", size)
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	servers := st.mlflowOf()
	name := *in.TrackingServerName
	arn := c.ARN("sagemaker", "mlflow-tracking-server/"+name)
	if _, dup := servers[name]; dup {
		return nil, &wire.Error{Code: "ResourceLimitExceeded", Message: fmt.Sprintf("Tracking server %s already exists", arn)}
	}
	t := &trackingServer{
		name: name, size: size,
		version:       aws.ToString(in.MlflowVersion),
		artifactStore: *in.ArtifactStoreUri, roleArn: *in.RoleArn,
		window:       aws.ToString(in.WeeklyMaintenanceWindowStart),
		autoRegister: aws.ToBool(in.AutomaticModelRegistration),
		created:      c.Now,
		machine: machine{arn: arn, status: "Creating", lastMo: c.Now,
			next: &transition{to: "Created", at: c.Now.Add(mlflowCreateDuration)}},
	}
	if t.version == "" {
		t.version = mlflowDefaultVersion
	}
	if t.window == "" {
		t.window = "Tue:03:30"
	}
	if len(in.Tags) > 0 {
		if e := st.setTags(arn, in.Tags); e != nil {
			return nil, e
		}
	}
	servers[name] = t
	return &sagemaker.CreateMlflowTrackingServerOutput{TrackingServerArn: aws.String(arn)}, nil
}

func describeMlflowTrackingServer(c *Call, in *sagemaker.DescribeMlflowTrackingServerInput) (*sagemaker.DescribeMlflowTrackingServerOutput, error) {
	t, err := trackingServerFor(c, in.TrackingServerName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeMlflowTrackingServerOutput{
		TrackingServerArn:            aws.String(t.arn),
		TrackingServerName:           aws.String(t.name),
		TrackingServerSize:           smtypes.TrackingServerSize(t.size),
		TrackingServerStatus:         smtypes.TrackingServerStatus(t.status),
		IsActive:                     t.active(),
		MlflowVersion:                aws.String(t.version),
		ArtifactStoreUri:             aws.String(t.artifactStore),
		RoleArn:                      aws.String(t.roleArn),
		WeeklyMaintenanceWindowStart: aws.String(t.window),
		AutomaticModelRegistration:   aws.Bool(t.autoRegister),
		CreationTime:                 aws.Time(t.created),
		LastModifiedTime:             aws.Time(t.lastMo),
	}
	if t.status != "Creating" {
		out.TrackingServerUrl = aws.String(t.url(c.Region.Name))
	}
	return out, nil
}

func listMlflowTrackingServers(c *Call, in *sagemaker.ListMlflowTrackingServersInput) (*sagemaker.ListMlflowTrackingServersOutput, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	q := listQuery{status: string(in.TrackingServerStatus), createdAfter: in.CreatedAfter, createdBefore: in.CreatedBefore}
	key := func(t *trackingServer) listed {
		return listed{name: t.name, status: t.status, created: t.created, lastMo: t.lastMo}
	}
	withVersion := func(t *trackingServer) bool {
		return in.MlflowVersion == nil || t.version == *in.MlflowVersion
	}
	// AWS's default order is CreationTime, Descending.
	items := selectListed(st.mlflow, q, key, withVersion, string(in.SortBy), in.SortOrder != smtypes.SortOrderAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListMlflowTrackingServersOutput{NextToken: next, TrackingServerSummaries: []smtypes.TrackingServerSummary{}}
	for _, t := range page {
		out.TrackingServerSummaries = append(out.TrackingServerSummaries, smtypes.TrackingServerSummary{
			TrackingServerArn:    aws.String(t.arn),
			TrackingServerName:   aws.String(t.name),
			TrackingServerStatus: smtypes.TrackingServerStatus(t.status),
			IsActive:             t.active(),
			MlflowVersion:        aws.String(t.version),
			CreationTime:         aws.Time(t.created),
			LastModifiedTime:     aws.Time(t.lastMo),
		})
	}
	return out, nil
}

// mlflowStoppable are the statuses a server can be stopped from: it runs.
var mlflowStoppable = []string{"Created", "Started", "Updated", "MaintenanceComplete", "StopFailed"}

// mlflowStartable are the statuses a server can be started from.
var mlflowStartable = []string{"Stopped", "StartFailed"}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func stopMlflowTrackingServer(c *Call, in *sagemaker.StopMlflowTrackingServerInput) (*sagemaker.StopMlflowTrackingServerOutput, error) {
	t, err := trackingServerFor(c, in.TrackingServerName)
	if err != nil {
		return nil, err
	}
	if !oneOf(t.status, mlflowStoppable) {
		return nil, mlflowConflict(t, "stop")
	}
	t.status, t.lastMo = "Stopping", c.Now
	t.next = &transition{to: "Stopped", at: c.Now.Add(mlflowStopDuration)}
	return &sagemaker.StopMlflowTrackingServerOutput{TrackingServerArn: aws.String(t.arn)}, nil
}

func startMlflowTrackingServer(c *Call, in *sagemaker.StartMlflowTrackingServerInput) (*sagemaker.StartMlflowTrackingServerOutput, error) {
	t, err := trackingServerFor(c, in.TrackingServerName)
	if err != nil {
		return nil, err
	}
	if !oneOf(t.status, mlflowStartable) {
		return nil, mlflowConflict(t, "start")
	}
	t.status, t.lastMo = "Starting", c.Now
	t.next = &transition{to: "Started", at: c.Now.Add(mlflowStartDuration)}
	return &sagemaker.StartMlflowTrackingServerOutput{TrackingServerArn: aws.String(t.arn)}, nil
}

func deleteMlflowTrackingServer(c *Call, in *sagemaker.DeleteMlflowTrackingServerInput) (*sagemaker.DeleteMlflowTrackingServerOutput, error) {
	t, err := trackingServerFor(c, in.TrackingServerName)
	if err != nil {
		return nil, err
	}
	// A server in the middle of a change cannot be deleted.
	if t.next != nil {
		return nil, mlflowConflict(t, "delete")
	}
	t.status, t.lastMo = "Deleting", c.Now
	t.next = &transition{to: "Deleted", at: c.Now.Add(mlflowDeleteDuration)}
	return &sagemaker.DeleteMlflowTrackingServerOutput{TrackingServerArn: aws.String(t.arn)}, nil
}

// MlflowTrackingServerScenario is an MLflow tracking server in a scenario.
type MlflowTrackingServerScenario struct {
	Name string `yaml:"name"`
	// Size is Small (default), Medium or Large.
	Size string `yaml:"size,omitempty"`
	// Status is Created (default), Started, Stopped, Creating, Stopping or Starting.
	Status        string            `yaml:"status,omitempty"`
	MlflowVersion string            `yaml:"mlflowVersion,omitempty"`
	Age           Age               `yaml:"age,omitempty"` // since creation
	LastModified  Age               `yaml:"lastModified,omitempty"`
	Tags          map[string]string `yaml:"tags,omitempty"`
}

func loadMlflow(r *Region, rs RegionScenario, now time.Time, path string) error {
	st := r.SageMaker
	for i, ms := range rs.MlflowTrackingServers {
		field := fmt.Sprintf("%s.mlflowTrackingServers[%d]", path, i)
		if ms.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if st.mlflow[ms.Name] != nil {
			return fmt.Errorf("%s.name: duplicate tracking server %q", field, ms.Name)
		}
		size := ms.Size
		switch size {
		case "":
			size = "Small"
		case "Small", "Medium", "Large":
		default:
			return fmt.Errorf("%s.size: %q is not one of Small, Medium, Large", field, size)
		}
		status := ms.Status
		if status == "" {
			status = "Created"
		}
		durations := map[string]struct {
			to string
			d  time.Duration
		}{"Creating": {"Created", mlflowCreateDuration}, "Stopping": {"Stopped", mlflowStopDuration}, "Starting": {"Started", mlflowStartDuration}}
		switch status {
		case "Created", "Started", "Stopped", "Creating", "Stopping", "Starting":
		default:
			return fmt.Errorf("%s.status: %q is not one of Created, Started, Stopped, Creating, Stopping, Starting", field, status)
		}
		age, err := ms.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		lm, err := ms.LastModified.Duration()
		if err != nil {
			return fmt.Errorf("%s.lastModified: %w", field, err)
		}
		if ms.LastModified == "" {
			lm = age
		}
		t := &trackingServer{
			name: ms.Name, size: size, version: ms.MlflowVersion,
			artifactStore: fmt.Sprintf("s3://sagemaker-%s-%s/mlflow/%s", r.Name, r.AccountID, ms.Name),
			roleArn:       fmt.Sprintf("arn:aws:iam::%s:role/SageMakerExecution", r.AccountID),
			window:        "Tue:03:30",
			created:       now.Add(-age),
			machine: machine{status: status, lastMo: now.Add(-lm),
				arn: fmt.Sprintf("arn:aws:sagemaker:%s:%s:mlflow-tracking-server/%s", r.Name, r.AccountID, ms.Name)},
		}
		if t.version == "" {
			t.version = mlflowDefaultVersion
		}
		if d, ok := durations[status]; ok {
			t.next = &transition{to: d.to, at: now.Add(d.d)}
		}
		st.mlflowOf()[t.name] = t
		if err := st.setTags(t.arn, tagList(ms.Tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	return nil
}

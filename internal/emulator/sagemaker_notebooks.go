package emulator

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// notebook is a notebook instance.
type notebook struct {
	name, arn       string
	instanceType    string
	status          string
	failureReason   string
	roleArn         string
	volumeSizeGB    int32
	lifecycleConfig string
	platform        string
	created, lastMo time.Time
	next            *transition
	deleting        bool
	// agent is true when a simulated sagesaver agent runs on the instance
	// (the scenario's agentLastActivity): while the instance is InService
	// it refreshes sagesaver:heartbeat every agentInterval, as the real
	// agent does (internal/agent/agenttag), so that evidence stays fresh
	// as the virtual clock moves.
	agent bool
}

// settle applies a due transition; it reports whether the notebook is gone.
func (n *notebook) settle(now time.Time) (gone bool) {
	if n.next == nil || now.Before(n.next.at) {
		return false
	}
	if n.deleting {
		return true
	}
	n.status, n.lastMo, n.next = n.next.to, n.next.at, nil
	return false
}

func (n *notebook) startTransition(now time.Time, via, to string, d time.Duration) {
	n.status = via
	n.lastMo = now
	n.next = &transition{to: to, at: now.Add(d)}
}

// lifecycleConfig is a notebook instance lifecycle configuration.
type lifecycleConfig struct {
	name, arn       string
	onCreate        []smtypes.NotebookInstanceLifecycleHook
	onStart         []smtypes.NotebookInstanceLifecycleHook
	created, lastMo time.Time
}

// maxLifecycleContent is the limit on each hook's base64 content.
const maxLifecycleContent = 16384

func sageMakerNotebookOps() map[string]handler {
	return map[string]handler{
		"CreateNotebookInstance":                  op(createNotebookInstance),
		"DescribeNotebookInstance":                op(describeNotebookInstance),
		"ListNotebookInstances":                   op(listNotebookInstances),
		"StartNotebookInstance":                   op(startNotebookInstance),
		"StopNotebookInstance":                    op(stopNotebookInstance),
		"UpdateNotebookInstance":                  op(updateNotebookInstance),
		"DeleteNotebookInstance":                  op(deleteNotebookInstance),
		"CreateNotebookInstanceLifecycleConfig":   op(createLifecycleConfig),
		"DescribeNotebookInstanceLifecycleConfig": op(describeLifecycleConfig),
		"UpdateNotebookInstanceLifecycleConfig":   op(updateLifecycleConfig),
		"ListNotebookInstanceLifecycleConfigs":    op(listLifecycleConfigs),
		"DeleteNotebookInstanceLifecycleConfig":   op(deleteLifecycleConfig),
	}
}

// notebookFor returns the named notebook or SageMaker's not-found answer,
// which for notebook instances is a ValidationException "RecordNotFound".
func notebookFor(c *Call, name *string) (*notebook, error) {
	if e := required("NotebookInstanceName", name != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	n, ok := st.notebooks[*name]
	if !ok {
		return nil, validation("RecordNotFound")
	}
	return n, nil
}

// badTransition is SageMaker's answer to an operation not allowed in the
// notebook's current status.
func badTransition(n *notebook, allowed []string, to string) *wire.Error {
	return validation("Status (%s) not in ([%s]). Unable to transition to (%s) for Notebook Instance (%s).", n.status, strings.Join(allowed, ", "), to, n.arn)
}

func createNotebookInstance(c *Call, in *sagemaker.CreateNotebookInstanceInput) (*sagemaker.CreateNotebookInstanceOutput, error) {
	if e := required("NotebookInstanceName", in.NotebookInstanceName != nil); e != nil {
		return nil, e
	}
	if e := required("InstanceType", in.InstanceType != ""); e != nil {
		return nil, e
	}
	if e := required("RoleArn", in.RoleArn != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	name := *in.NotebookInstanceName
	if _, dup := st.notebooks[name]; dup {
		return nil, validation("Cannot create a duplicate Notebook Instance (%s)", c.ARN("sagemaker", "notebook-instance/"+strings.ToLower(name)))
	}
	if in.LifecycleConfigName != nil {
		if _, ok := st.lifecycles[*in.LifecycleConfigName]; !ok {
			return nil, validation("Unable to describe Notebook Instance Lifecycle Config '%s'. (Reason: RecordNotFound)", *in.LifecycleConfigName)
		}
	}
	n := &notebook{
		name:            name,
		arn:             c.ARN("sagemaker", "notebook-instance/"+strings.ToLower(name)),
		instanceType:    string(in.InstanceType),
		roleArn:         *in.RoleArn,
		volumeSizeGB:    aws.ToInt32(in.VolumeSizeInGB),
		lifecycleConfig: aws.ToString(in.LifecycleConfigName),
		platform:        aws.ToString(in.PlatformIdentifier),
		created:         c.Now,
	}
	if n.volumeSizeGB == 0 {
		n.volumeSizeGB = 5
	}
	if n.platform == "" {
		n.platform = "notebook-al2-v2"
	}
	n.startTransition(c.Now, "Pending", "InService", notebookStartDuration)
	st.notebooks[name] = n
	if len(in.Tags) > 0 {
		if e := st.setTags(n.arn, in.Tags); e != nil {
			delete(st.notebooks, name)
			return nil, e
		}
	}
	return &sagemaker.CreateNotebookInstanceOutput{NotebookInstanceArn: aws.String(n.arn)}, nil
}

func describeNotebookInstance(c *Call, in *sagemaker.DescribeNotebookInstanceInput) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	n, err := notebookFor(c, in.NotebookInstanceName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeNotebookInstanceOutput{
		NotebookInstanceName:   aws.String(n.name),
		NotebookInstanceArn:    aws.String(n.arn),
		NotebookInstanceStatus: smtypes.NotebookInstanceStatus(n.status),
		InstanceType:           smtypes.InstanceType(n.instanceType),
		RoleArn:                aws.String(n.roleArn),
		VolumeSizeInGB:         aws.Int32(n.volumeSizeGB),
		CreationTime:           aws.Time(n.created),
		LastModifiedTime:       aws.Time(n.lastMo),
		PlatformIdentifier:     aws.String(n.platform),
		DirectInternetAccess:   smtypes.DirectInternetAccessEnabled,
		RootAccess:             smtypes.RootAccessEnabled,
	}
	if n.status == "InService" {
		out.Url = aws.String(fmt.Sprintf("%s.notebook.%s.sagemaker.aws", strings.ToLower(n.name), c.Region.Name))
	}
	if n.lifecycleConfig != "" {
		out.NotebookInstanceLifecycleConfigName = aws.String(n.lifecycleConfig)
	}
	if n.failureReason != "" {
		out.FailureReason = aws.String(n.failureReason)
	}
	return out, nil
}

func listNotebookInstances(c *Call, in *sagemaker.ListNotebookInstancesInput) (*sagemaker.ListNotebookInstancesOutput, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	q := listQuery{
		nameContains: in.NameContains, status: string(in.StatusEquals),
		createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
		modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
	}
	key := func(n *notebook) listed {
		return listed{name: n.name, status: n.status, created: n.created, lastMo: n.lastMo}
	}
	withLifecycle := func(n *notebook) bool {
		lc := in.NotebookInstanceLifecycleConfigNameContains
		return lc == nil || strings.Contains(n.lifecycleConfig, *lc)
	}
	// AWS's default order is CreationTime, Descending.
	items := selectListed(st.notebooks, q, key, withLifecycle, string(in.SortBy), in.SortOrder != smtypes.NotebookInstanceSortOrderAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListNotebookInstancesOutput{NextToken: next, NotebookInstances: []smtypes.NotebookInstanceSummary{}}
	for _, n := range page {
		s := smtypes.NotebookInstanceSummary{
			NotebookInstanceName:   aws.String(n.name),
			NotebookInstanceArn:    aws.String(n.arn),
			NotebookInstanceStatus: smtypes.NotebookInstanceStatus(n.status),
			InstanceType:           smtypes.InstanceType(n.instanceType),
			CreationTime:           aws.Time(n.created),
			LastModifiedTime:       aws.Time(n.lastMo),
		}
		if n.status == "InService" {
			s.Url = aws.String(fmt.Sprintf("%s.notebook.%s.sagemaker.aws", strings.ToLower(n.name), c.Region.Name))
		}
		if n.lifecycleConfig != "" {
			s.NotebookInstanceLifecycleConfigName = aws.String(n.lifecycleConfig)
		}
		out.NotebookInstances = append(out.NotebookInstances, s)
	}
	return out, nil
}

func startNotebookInstance(c *Call, in *sagemaker.StartNotebookInstanceInput) (*sagemaker.StartNotebookInstanceOutput, error) {
	n, err := notebookFor(c, in.NotebookInstanceName)
	if err != nil {
		return nil, err
	}
	if n.status != "Stopped" && n.status != "Failed" {
		return nil, badTransition(n, []string{"Stopped", "Failed"}, "Pending")
	}
	n.failureReason = ""
	n.startTransition(c.Now, "Pending", "InService", notebookStartDuration)
	return &sagemaker.StartNotebookInstanceOutput{}, nil
}

func stopNotebookInstance(c *Call, in *sagemaker.StopNotebookInstanceInput) (*sagemaker.StopNotebookInstanceOutput, error) {
	n, err := notebookFor(c, in.NotebookInstanceName)
	if err != nil {
		return nil, err
	}
	if n.status != "InService" {
		return nil, badTransition(n, []string{"InService"}, "Stopping")
	}
	n.startTransition(c.Now, "Stopping", "Stopped", notebookStopDuration)
	return &sagemaker.StopNotebookInstanceOutput{}, nil
}

func updateNotebookInstance(c *Call, in *sagemaker.UpdateNotebookInstanceInput) (*sagemaker.UpdateNotebookInstanceOutput, error) {
	n, err := notebookFor(c, in.NotebookInstanceName)
	if err != nil {
		return nil, err
	}
	if n.status != "Stopped" && n.status != "Failed" {
		return nil, badTransition(n, []string{"Stopped", "Failed"}, "Updating")
	}
	st := c.Region.SageMaker
	if in.LifecycleConfigName != nil {
		if _, ok := st.lifecycles[*in.LifecycleConfigName]; !ok {
			return nil, validation("Unable to describe Notebook Instance Lifecycle Config '%s'. (Reason: RecordNotFound)", *in.LifecycleConfigName)
		}
		n.lifecycleConfig = *in.LifecycleConfigName
	}
	if aws.ToBool(in.DisassociateLifecycleConfig) {
		n.lifecycleConfig = ""
	}
	if in.InstanceType != "" {
		n.instanceType = string(in.InstanceType)
	}
	if in.VolumeSizeInGB != nil {
		if *in.VolumeSizeInGB < n.volumeSizeGB {
			return nil, validation("The volume size can only be increased: %d GB is smaller than %d GB", *in.VolumeSizeInGB, n.volumeSizeGB)
		}
		n.volumeSizeGB = *in.VolumeSizeInGB
	}
	if in.RoleArn != nil {
		n.roleArn = *in.RoleArn
	}
	n.startTransition(c.Now, "Updating", "Stopped", notebookUpdateDuration)
	return &sagemaker.UpdateNotebookInstanceOutput{}, nil
}

func deleteNotebookInstance(c *Call, in *sagemaker.DeleteNotebookInstanceInput) (*sagemaker.DeleteNotebookInstanceOutput, error) {
	n, err := notebookFor(c, in.NotebookInstanceName)
	if err != nil {
		return nil, err
	}
	if n.status != "Stopped" && n.status != "Failed" {
		return nil, badTransition(n, []string{"Stopped", "Failed"}, "Deleting")
	}
	n.deleting = true
	n.startTransition(c.Now, "Deleting", "Deleted", notebookDeleteDuration)
	return &sagemaker.DeleteNotebookInstanceOutput{}, nil
}

func checkHooks(field string, hooks []smtypes.NotebookInstanceLifecycleHook) *wire.Error {
	if len(hooks) > 1 {
		return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to 1", lowerFirst(field))
	}
	for _, h := range hooks {
		content := aws.ToString(h.Content)
		if len(content) > maxLifecycleContent {
			return validation("1 validation error detected: Value at '%s.1.member.content' failed to satisfy constraint: Member must have length less than or equal to %d", lowerFirst(field), maxLifecycleContent)
		}
		if _, err := base64.StdEncoding.DecodeString(content); err != nil {
			return validation("Lifecycle configuration content for '%s' must be base64-encoded", field)
		}
	}
	return nil
}

func createLifecycleConfig(c *Call, in *sagemaker.CreateNotebookInstanceLifecycleConfigInput) (*sagemaker.CreateNotebookInstanceLifecycleConfigOutput, error) {
	if e := required("NotebookInstanceLifecycleConfigName", in.NotebookInstanceLifecycleConfigName != nil); e != nil {
		return nil, e
	}
	if e := checkHooks("OnCreate", in.OnCreate); e != nil {
		return nil, e
	}
	if e := checkHooks("OnStart", in.OnStart); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	name := *in.NotebookInstanceLifecycleConfigName
	arn := c.ARN("sagemaker", "notebook-instance-lifecycle-config/"+strings.ToLower(name))
	if _, dup := st.lifecycles[name]; dup {
		return nil, validation("Unable to create Notebook Instance Lifecycle Config (%s). (Reason: Notebook Instance Lifecycle Config already exists.)", arn)
	}
	st.lifecycles[name] = &lifecycleConfig{name: name, arn: arn, onCreate: in.OnCreate, onStart: in.OnStart, created: c.Now, lastMo: c.Now}
	if len(in.Tags) > 0 {
		if e := st.setTags(arn, in.Tags); e != nil {
			return nil, e
		}
	}
	return &sagemaker.CreateNotebookInstanceLifecycleConfigOutput{NotebookInstanceLifecycleConfigArn: aws.String(arn)}, nil
}

func lifecycleFor(c *Call, name *string) (*lifecycleConfig, error) {
	if e := required("NotebookInstanceLifecycleConfigName", name != nil); e != nil {
		return nil, e
	}
	lc, ok := c.Region.SageMaker.lifecycles[*name]
	if !ok {
		return nil, validation("Unable to describe Notebook Instance Lifecycle Config '%s'. (Reason: RecordNotFound)", *name)
	}
	return lc, nil
}

func describeLifecycleConfig(c *Call, in *sagemaker.DescribeNotebookInstanceLifecycleConfigInput) (*sagemaker.DescribeNotebookInstanceLifecycleConfigOutput, error) {
	lc, err := lifecycleFor(c, in.NotebookInstanceLifecycleConfigName)
	if err != nil {
		return nil, err
	}
	return &sagemaker.DescribeNotebookInstanceLifecycleConfigOutput{
		NotebookInstanceLifecycleConfigName: aws.String(lc.name),
		NotebookInstanceLifecycleConfigArn:  aws.String(lc.arn),
		OnCreate:                            lc.onCreate,
		OnStart:                             lc.onStart,
		CreationTime:                        aws.Time(lc.created),
		LastModifiedTime:                    aws.Time(lc.lastMo),
	}, nil
}

func updateLifecycleConfig(c *Call, in *sagemaker.UpdateNotebookInstanceLifecycleConfigInput) (*sagemaker.UpdateNotebookInstanceLifecycleConfigOutput, error) {
	lc, err := lifecycleFor(c, in.NotebookInstanceLifecycleConfigName)
	if err != nil {
		return nil, err
	}
	if e := checkHooks("OnCreate", in.OnCreate); e != nil {
		return nil, e
	}
	if e := checkHooks("OnStart", in.OnStart); e != nil {
		return nil, e
	}
	if in.OnCreate != nil {
		lc.onCreate = in.OnCreate
	}
	if in.OnStart != nil {
		lc.onStart = in.OnStart
	}
	lc.lastMo = c.Now
	return &sagemaker.UpdateNotebookInstanceLifecycleConfigOutput{}, nil
}

func listLifecycleConfigs(c *Call, in *sagemaker.ListNotebookInstanceLifecycleConfigsInput) (*sagemaker.ListNotebookInstanceLifecycleConfigsOutput, error) {
	var items []*lifecycleConfig
	for _, lc := range c.Region.SageMaker.lifecycles {
		if in.NameContains != nil && !strings.Contains(lc.name, *in.NameContains) {
			continue
		}
		items = append(items, lc)
	}
	desc := in.SortOrder != smtypes.NotebookInstanceLifecycleConfigSortOrderAscending
	switch in.SortBy {
	case smtypes.NotebookInstanceLifecycleConfigSortKeyName:
		sortBy(items, desc, func(a, b *lifecycleConfig) bool { return a.name < b.name })
	case smtypes.NotebookInstanceLifecycleConfigSortKeyLastModifiedTime:
		sortBy(items, desc, func(a, b *lifecycleConfig) bool { return a.lastMo.Before(b.lastMo) })
	default:
		sort.SliceStable(items, func(i, j int) bool { return items[i].name < items[j].name })
		sortBy(items, desc, func(a, b *lifecycleConfig) bool { return a.created.Before(b.created) })
	}
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListNotebookInstanceLifecycleConfigsOutput{NextToken: next, NotebookInstanceLifecycleConfigs: []smtypes.NotebookInstanceLifecycleConfigSummary{}}
	for _, lc := range page {
		out.NotebookInstanceLifecycleConfigs = append(out.NotebookInstanceLifecycleConfigs, smtypes.NotebookInstanceLifecycleConfigSummary{
			NotebookInstanceLifecycleConfigName: aws.String(lc.name),
			NotebookInstanceLifecycleConfigArn:  aws.String(lc.arn),
			CreationTime:                        aws.Time(lc.created),
			LastModifiedTime:                    aws.Time(lc.lastMo),
		})
	}
	return out, nil
}

func deleteLifecycleConfig(c *Call, in *sagemaker.DeleteNotebookInstanceLifecycleConfigInput) (*sagemaker.DeleteNotebookInstanceLifecycleConfigOutput, error) {
	lc, err := lifecycleFor(c, in.NotebookInstanceLifecycleConfigName)
	if err != nil {
		return nil, err
	}
	st := c.Region.SageMaker
	for _, n := range st.notebooks {
		if n.lifecycleConfig == lc.name {
			return nil, validation("Unable to delete Notebook Instance Lifecycle Config (%s). (Reason: Lifecycle config is attached to notebook instance %s.)", lc.arn, n.name)
		}
	}
	delete(st.lifecycles, lc.name)
	delete(st.tags, lc.arn)
	return &sagemaker.DeleteNotebookInstanceLifecycleConfigOutput{}, nil
}

package emulator

import (
	"encoding/base64"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// sageMakerState is one account's SageMaker resources in one region.
type sageMakerState struct {
	notebooks       map[string]*notebook
	lifecycles      map[string]*lifecycleConfig
	models          map[string]*model
	endpointConfigs map[string]*endpointConfig
	endpoints       map[string]*endpoint
	hosting         hostingState               // sagemaker_endpoints.go
	tags            map[string][]smtypes.Tag   // by resource ARN
	jobs            *jobsState                 // sagemaker_jobs.go, created on first use
	studio          *studioState               // sagemaker_studio.go, created on first use
	mlflow          map[string]*trackingServer // sagemaker_mlflow.go, by name, created on first use
	clusters        map[string]*hyperCluster   // sagemaker_hyperpod.go, by name, created on first use
}

func newSageMakerState() *sageMakerState {
	return &sageMakerState{
		notebooks:       map[string]*notebook{},
		lifecycles:      map[string]*lifecycleConfig{},
		models:          map[string]*model{},
		endpointConfigs: map[string]*endpointConfig{},
		endpoints:       map[string]*endpoint{},
		tags:            map[string][]smtypes.Tag{},
	}
}

func sageMakerService() *service {
	svc := &service{
		name:        "sagemaker",
		signingName: "sagemaker",
		jsonTarget:  "SageMaker",
		ops:         map[string]handler{},
	}
	for name, h := range sageMakerNotebookOps() {
		svc.ops[name] = h
	}
	for _, ops := range []map[string]handler{
		sageMakerEndpointOps(), // sagemaker_endpoints.go
		sageMakerJobOps(),      // sagemaker_jobs.go
		sageMakerStudioOps(),   // sagemaker_studio.go
		sageMakerSearchOps(),   // sagemaker_search.go
		sageMakerMlflowOps(),   // sagemaker_mlflow.go
		sageMakerHyperPodOps(), // sagemaker_hyperpod.go
	} {
		for name, h := range ops {
			svc.ops[name] = h
		}
	}
	svc.ops["AddTags"] = op(addTags)
	svc.ops["DeleteTags"] = op(deleteTags)
	svc.ops["ListTags"] = op(listTags)
	return svc
}

// transition is a pending status change that takes effect at a virtual time.
type transition struct {
	to string
	at time.Time
}

// machine is the part of a resource whose status moves on the virtual
// clock (MLflow tracking servers, HyperPod clusters): its ARN, status,
// last change and next transition. A due transition out of "Deleting"
// removes the resource (settleMachines).
type machine struct {
	arn    string
	status string
	lastMo time.Time
	next   *transition
}

func (m *machine) state() *machine { return m }

// stateful is a resource that embeds a machine.
type stateful interface{ state() *machine }

// settleMachines applies the due transitions of the resources in m (by
// name); one whose deletion is due goes, with its tags.
func settleMachines[T stateful](st *sageMakerState, m map[string]T, now time.Time) {
	for name, r := range m {
		s := r.state()
		if s.next == nil || now.Before(s.next.at) {
			continue
		}
		if s.status == "Deleting" {
			delete(m, name)
			delete(st.tags, s.arn)
			continue
		}
		s.status, s.lastMo, s.next = s.next.to, s.next.at, nil
	}
}

// arnIn reports whether a resource in m has the ARN arn.
func arnIn[T stateful](m map[string]T, arn string) bool {
	for _, r := range m {
		if r.state().arn == arn {
			return true
		}
	}
	return false
}

// Durations of SageMaker's asynchronous status changes, as observed on AWS
// (minutes, not seconds: tests advance the virtual clock past them).
const (
	notebookStartDuration  = 5 * time.Minute
	notebookStopDuration   = 90 * time.Second
	notebookUpdateDuration = 60 * time.Second
	notebookDeleteDuration = 2 * time.Minute
	endpointCreateDuration = 8 * time.Minute
	endpointUpdateDuration = 8 * time.Minute
	endpointDeleteDuration = 2 * time.Minute
)

// pageToken encodes a position in a sorted listing. Tokens are opaque to
// clients, as AWS's are.
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func parsePageToken(tok *string) (int, error) {
	if tok == nil || *tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) < 3 || string(b[:2]) != "o:" {
		return 0, validation("Invalid pagination token")
	}
	n, err := strconv.Atoi(string(b[2:]))
	if err != nil || n < 0 {
		return 0, validation("Invalid pagination token")
	}
	return n, nil
}

// paginate returns the window of items that a request with token and
// maxResults sees, and the next token ("" when done). max is the API's limit
// and default when maxResults is nil.
func paginate[T any](items []T, token *string, maxResults *int32, max int) ([]T, *string, error) {
	off, err := parsePageToken(token)
	if err != nil {
		return nil, nil, err
	}
	n := max
	if maxResults != nil {
		if *maxResults < 1 {
			return nil, nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *maxResults)
		}
		if int(*maxResults) > max {
			return nil, nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *maxResults, max)
		}
		n = int(*maxResults)
	}
	if off > len(items) {
		off = len(items)
	}
	end := off + n
	if end >= len(items) {
		return items[off:], nil, nil
	}
	return items[off:end], aws.String(pageToken(end)), nil
}

// sortBy sorts items by key ascending, or descending when desc.
func sortBy[T any](items []T, desc bool, less func(a, b T) bool) {
	sort.SliceStable(items, func(i, j int) bool {
		if desc {
			return less(items[j], items[i])
		}
		return less(items[i], items[j])
	})
}

// exists reports whether a taggable resource with arn exists.
func (st *sageMakerState) arnExists(arn string) bool {
	for _, n := range st.notebooks {
		if n.arn == arn {
			return true
		}
	}
	for _, e := range st.endpoints {
		if e.arn == arn {
			return true
		}
	}
	for _, e := range st.endpointConfigs {
		if e.arn == arn {
			return true
		}
	}
	for _, m := range st.models {
		if m.arn == arn {
			return true
		}
	}
	if st.jobArnExists(arn) || st.studioArnExists(arn) || arnIn(st.mlflow, arn) || arnIn(st.clusters, arn) {
		return true
	}
	_, tagged := st.tags[arn]
	return tagged
}

// maxTags is SageMaker's limit of tags per resource.
const maxTags = 50

func (st *sageMakerState) setTags(arn string, tags []smtypes.Tag) *wire.Error {
	cur := st.tags[arn]
	for _, t := range tags {
		if t.Key == nil || *t.Key == "" {
			return validation("1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null")
		}
		replaced := false
		for i := range cur {
			if *cur[i].Key == *t.Key {
				cur[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			cur = append(cur, smtypes.Tag{Key: aws.String(*t.Key), Value: aws.String(aws.ToString(t.Value))})
		}
	}
	if len(cur) > maxTags {
		return validation("Tag limit exceeded: a resource can have at most %d tags", maxTags)
	}
	st.tags[arn] = cur
	return nil
}

func addTags(c *Call, in *sagemaker.AddTagsInput) (*sagemaker.AddTagsOutput, error) {
	if e := required("ResourceArn", in.ResourceArn != nil); e != nil {
		return nil, e
	}
	if e := required("Tags", in.Tags != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	if !st.arnExists(*in.ResourceArn) {
		return nil, validation("Resource %s not found", *in.ResourceArn)
	}
	if e := st.setTags(*in.ResourceArn, in.Tags); e != nil {
		return nil, e
	}
	return &sagemaker.AddTagsOutput{Tags: in.Tags}, nil
}

func deleteTags(c *Call, in *sagemaker.DeleteTagsInput) (*sagemaker.DeleteTagsOutput, error) {
	if e := required("ResourceArn", in.ResourceArn != nil); e != nil {
		return nil, e
	}
	if e := required("TagKeys", in.TagKeys != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	if !st.arnExists(*in.ResourceArn) {
		return nil, validation("Resource %s not found", *in.ResourceArn)
	}
	cur := st.tags[*in.ResourceArn]
	kept := cur[:0]
	for _, t := range cur {
		drop := false
		for _, k := range in.TagKeys {
			if *t.Key == k {
				drop = true
			}
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	st.tags[*in.ResourceArn] = kept
	return &sagemaker.DeleteTagsOutput{}, nil
}

func listTags(c *Call, in *sagemaker.ListTagsInput) (*sagemaker.ListTagsOutput, error) {
	if e := required("ResourceArn", in.ResourceArn != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	if !st.arnExists(*in.ResourceArn) {
		return nil, validation("Resource %s not found", *in.ResourceArn)
	}
	tags := append([]smtypes.Tag(nil), st.tags[*in.ResourceArn]...)
	page, next, err := paginate(tags, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &sagemaker.ListTagsOutput{Tags: page, NextToken: next}, nil
}

// settle applies every transition that is due at now.
func (st *sageMakerState) settle(now time.Time) {
	for name, n := range st.notebooks {
		if n.settle(now) {
			delete(st.notebooks, name)
			delete(st.tags, n.arn)
			continue
		}
		if n.agent && n.status == "InService" {
			st.beat(n.arn, n.lastMo, now)
		}
	}
	st.settleEndpoints(now)
	settleMachines(st, st.mlflow, now)
	settleMachines(st, st.clusters, now)
}

// agentInterval is how often the sagesaver agent refreshes its heartbeat
// tag (agenttag.Interval).
const agentInterval = 10 * time.Minute

// beat refreshes the heartbeat tag of a simulated agent on the resource
// arn, running since since: on the agent's grid of agentInterval from its
// last heartbeat, starting again at since when the resource was started
// after it.
func (st *sageMakerState) beat(arn string, since, now time.Time) {
	var last time.Time
	for _, t := range st.tags[arn] {
		if aws.ToString(t.Key) == agentHeartbeatTag {
			last, _ = time.Parse(time.RFC3339, aws.ToString(t.Value))
		}
	}
	hb := last
	if hb.Before(since) {
		hb = since // the agent's first poll after the resource started
	}
	for !hb.Add(agentInterval).After(now) {
		hb = hb.Add(agentInterval)
	}
	if hb.After(now) || hb.Equal(last) {
		return
	}
	_ = st.setTags(arn, []smtypes.Tag{{Key: aws.String(agentHeartbeatTag), Value: aws.String(hb.UTC().Format(time.RFC3339))}})
}

// liveAgent reports whether a scenario's tags describe a running agent: a
// heartbeat at most one agentInterval before the scenario's start (an
// older one is an agent that died, and stays frozen).
func liveAgent(tags map[string]string, now time.Time) bool {
	hb, err := time.Parse(time.RFC3339, tags[agentHeartbeatTag])
	return err == nil && !hb.After(now) && now.Sub(hb) <= agentInterval
}

package emulator

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// HyperPod clusters: instance groups of nodes that bill by the hour from
// creation to deletion, busy or not. Status machine: Creating -> InService,
// Deleting -> gone. Nodes are Pending while the cluster is created,
// Running while it is InService and ShuttingDown while it is deleted.

// Durations of a cluster's asynchronous status changes.
const (
	clusterCreateDuration = 15 * time.Minute
	clusterDeleteDuration = 10 * time.Minute
)

type hyperCluster struct {
	machine
	name, id string
	role     string
	failure  string
	groups   []*instanceGroup
	created  time.Time
}

type instanceGroup struct {
	name, instanceType string
	count              int32
	role               string
	lifecycle          smtypes.ClusterLifeCycleConfig
}

// clusterNode is one node of an instance group.
type clusterNode struct {
	group    *instanceGroup
	id       string
	launched time.Time
	status   string
}

// nodes are the cluster's nodes: count per instance group, each with a
// stable instance id derived from the cluster, group and index.
func (c *hyperCluster) nodes() []clusterNode {
	status := "Running"
	switch c.status {
	case "Creating":
		status = "Pending"
	case "Deleting":
		status = "ShuttingDown"
	case "Failed":
		return nil
	}
	var out []clusterNode
	for _, g := range c.groups {
		for i := int32(0); i < g.count; i++ {
			h := fnv.New64a()
			h.Write([]byte(c.arn + "/" + g.name + "/" + strconv.Itoa(int(i))))
			out = append(out, clusterNode{group: g, id: fmt.Sprintf("i-0%016x", h.Sum64()), launched: c.created, status: status})
		}
	}
	return out
}

// clusterID derives a stable cluster id (12 lowercase characters) from the
// cluster's account, region and name, as AWS's are 12 characters.
func clusterID(account, region, name string) string {
	h := fnv.New64a()
	h.Write([]byte(account + "/" + region + "/" + name))
	id := strconv.FormatUint(h.Sum64(), 36)
	for len(id) < 12 {
		id = "0" + id
	}
	return id[:12]
}

func (st *sageMakerState) clustersOf() map[string]*hyperCluster {
	if st.clusters == nil {
		st.clusters = map[string]*hyperCluster{}
	}
	return st.clusters
}

func sageMakerHyperPodOps() map[string]handler {
	return map[string]handler{
		"CreateCluster":    op(createCluster),
		"DescribeCluster":  op(describeCluster),
		"ListClusters":     op(listClusters),
		"ListClusterNodes": op(listClusterNodes),
		"DeleteCluster":    op(deleteCluster),
	}
}

// clusterFor returns the cluster named by name or ARN, or ResourceNotFound.
func clusterFor(c *Call, name *string) (*hyperCluster, error) {
	if e := required("ClusterName", name != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	if cl, ok := st.clusters[*name]; ok {
		return cl, nil
	}
	for _, cl := range st.clusters {
		if cl.arn == *name {
			return cl, nil
		}
	}
	return nil, &wire.Error{Code: "ResourceNotFound", Message: fmt.Sprintf("Cluster %s not found", *name)}
}

func createCluster(c *Call, in *sagemaker.CreateClusterInput) (*sagemaker.CreateClusterOutput, error) {
	if e := required("ClusterName", in.ClusterName != nil); e != nil {
		return nil, e
	}
	if len(in.InstanceGroups) == 0 {
		return nil, validation("1 validation error detected: Value null at 'instanceGroups' failed to satisfy constraint: Member must not be null")
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	clusters := st.clustersOf()
	name := *in.ClusterName
	if _, dup := clusters[name]; dup {
		return nil, &wire.Error{Code: "ResourceInUse", Message: fmt.Sprintf("Cluster %s already exists", name)}
	}
	cl := &hyperCluster{
		name: name, id: clusterID(c.Account.ID, c.Region.Name, name),
		role: aws.ToString(in.ClusterRole), created: c.Now,
		machine: machine{status: "Creating", lastMo: c.Now,
			next: &transition{to: "InService", at: c.Now.Add(clusterCreateDuration)}},
	}
	cl.arn = c.ARN("sagemaker", "cluster/"+cl.id)
	seen := map[string]bool{}
	for i, g := range in.InstanceGroups {
		gname := aws.ToString(g.InstanceGroupName)
		switch {
		case gname == "":
			return nil, validation("1 validation error detected: Value null at 'instanceGroups.%d.member.instanceGroupName' failed to satisfy constraint: Member must not be null", i+1)
		case g.InstanceType == "":
			return nil, validation("Instance group %s: InstanceType is required", gname)
		case g.InstanceCount == nil:
			return nil, validation("1 validation error detected: Value null at 'instanceGroups.%d.member.instanceCount' failed to satisfy constraint: Member must not be null", i+1)
		case seen[gname]:
			return nil, validation("Instance group names must be unique: %s", gname)
		}
		seen[gname] = true
		ig := &instanceGroup{name: gname, instanceType: string(g.InstanceType), count: *g.InstanceCount, role: aws.ToString(g.ExecutionRole)}
		if g.LifeCycleConfig != nil {
			ig.lifecycle = *g.LifeCycleConfig
		}
		cl.groups = append(cl.groups, ig)
	}
	if len(in.Tags) > 0 {
		if e := st.setTags(cl.arn, in.Tags); e != nil {
			return nil, e
		}
	}
	clusters[name] = cl
	return &sagemaker.CreateClusterOutput{ClusterArn: aws.String(cl.arn)}, nil
}

func describeCluster(c *Call, in *sagemaker.DescribeClusterInput) (*sagemaker.DescribeClusterOutput, error) {
	cl, err := clusterFor(c, in.ClusterName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeClusterOutput{
		ClusterArn:     aws.String(cl.arn),
		ClusterName:    aws.String(cl.name),
		ClusterStatus:  smtypes.ClusterStatus(cl.status),
		CreationTime:   aws.Time(cl.created),
		InstanceGroups: []smtypes.ClusterInstanceGroupDetails{},
		NodeRecovery:   smtypes.ClusterNodeRecoveryAutomatic,
	}
	if cl.role != "" {
		out.ClusterRole = aws.String(cl.role)
	}
	if cl.failure != "" {
		out.FailureMessage = aws.String(cl.failure)
	}
	running := map[string]int32{}
	for _, n := range cl.nodes() {
		if n.status == "Running" {
			running[n.group.name]++
		}
	}
	for _, g := range cl.groups {
		lc := g.lifecycle
		d := smtypes.ClusterInstanceGroupDetails{
			InstanceGroupName: aws.String(g.name),
			InstanceType:      smtypes.ClusterInstanceType(g.instanceType),
			CurrentCount:      aws.Int32(running[g.name]),
			TargetCount:       aws.Int32(g.count),
			LifeCycleConfig:   &lc,
			Status:            smtypes.InstanceGroupStatus(groupStatus(cl.status)),
		}
		if g.role != "" {
			d.ExecutionRole = aws.String(g.role)
		}
		out.InstanceGroups = append(out.InstanceGroups, d)
	}
	return out, nil
}

// groupStatus is an instance group's status in a cluster of status s.
func groupStatus(s string) string {
	switch s {
	case "Creating", "Deleting", "Failed":
		return s
	}
	return "InService"
}

// clusterListed is what ListClusters and ListClusterNodes sort on.
func clusterListed(cl *hyperCluster) listed {
	return listed{name: cl.name, status: cl.status, created: cl.created, lastMo: cl.lastMo}
}

// clusterSort maps ClusterSortBy (CREATION_TIME, the default, or NAME) to
// sortListed's keys.
func clusterSort(by smtypes.ClusterSortBy) string {
	if by == smtypes.ClusterSortByName {
		return "Name"
	}
	return "CreationTime"
}

func listClusters(c *Call, in *sagemaker.ListClustersInput) (*sagemaker.ListClustersOutput, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	q := listQuery{nameContains: in.NameContains, createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore}
	// AWS's default order is CREATION_TIME, Ascending.
	items := selectListed(st.clusters, q, clusterListed, nil, clusterSort(in.SortBy), in.SortOrder == smtypes.SortOrderDescending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListClustersOutput{NextToken: next, ClusterSummaries: []smtypes.ClusterSummary{}}
	for _, cl := range page {
		out.ClusterSummaries = append(out.ClusterSummaries, smtypes.ClusterSummary{
			ClusterArn:    aws.String(cl.arn),
			ClusterName:   aws.String(cl.name),
			ClusterStatus: smtypes.ClusterStatus(cl.status),
			CreationTime:  aws.Time(cl.created),
		})
	}
	return out, nil
}

func listClusterNodes(c *Call, in *sagemaker.ListClusterNodesInput) (*sagemaker.ListClusterNodesOutput, error) {
	cl, err := clusterFor(c, in.ClusterName)
	if err != nil {
		return nil, err
	}
	var nodes []clusterNode
	for _, n := range cl.nodes() {
		switch {
		case in.InstanceGroupNameContains != nil && !strings.Contains(n.group.name, *in.InstanceGroupNameContains):
		case in.CreationTimeAfter != nil && !n.launched.After(*in.CreationTimeAfter):
		case in.CreationTimeBefore != nil && !n.launched.Before(*in.CreationTimeBefore):
		default:
			nodes = append(nodes, n)
		}
	}
	// AWS's default order is CREATION_TIME, Ascending; ties (nodes
	// launched together) break on the instance group and node id.
	byName := in.SortBy == smtypes.ClusterSortByName
	sortBy(nodes, in.SortOrder == smtypes.SortOrderDescending, func(a, b clusterNode) bool {
		if !byName && !a.launched.Equal(b.launched) {
			return a.launched.Before(b.launched)
		}
		if a.group.name != b.group.name {
			return a.group.name < b.group.name
		}
		return a.id < b.id
	})
	page, next, err := paginate(nodes, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListClusterNodesOutput{NextToken: next, ClusterNodeSummaries: []smtypes.ClusterNodeSummary{}}
	for _, n := range page {
		out.ClusterNodeSummaries = append(out.ClusterNodeSummaries, smtypes.ClusterNodeSummary{
			InstanceGroupName: aws.String(n.group.name),
			InstanceId:        aws.String(n.id),
			InstanceType:      smtypes.ClusterInstanceType(n.group.instanceType),
			InstanceStatus:    &smtypes.ClusterInstanceStatusDetails{Status: smtypes.ClusterInstanceStatus(n.status)},
			LaunchTime:        aws.Time(n.launched),
		})
	}
	return out, nil
}

func deleteCluster(c *Call, in *sagemaker.DeleteClusterInput) (*sagemaker.DeleteClusterOutput, error) {
	cl, err := clusterFor(c, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if cl.status == "Deleting" {
		return nil, &wire.Error{Code: "ConflictException", Message: fmt.Sprintf("Cluster %s is already being deleted", cl.name)}
	}
	cl.status, cl.lastMo = "Deleting", c.Now
	cl.next = &transition{to: "Deleted", at: c.Now.Add(clusterDeleteDuration)}
	return &sagemaker.DeleteClusterOutput{ClusterArn: aws.String(cl.arn)}, nil
}

// ClusterScenario is a HyperPod cluster in a scenario.
type ClusterScenario struct {
	Name string `yaml:"name"`
	// Status is InService (default), Creating, Deleting or Failed.
	Status         string                  `yaml:"status,omitempty"`
	Age            Age                     `yaml:"age,omitempty"` // since creation
	InstanceGroups []InstanceGroupScenario `yaml:"instanceGroups"`
	Tags           map[string]string       `yaml:"tags,omitempty"`
}

// InstanceGroupScenario is one instance group of a scenario cluster.
type InstanceGroupScenario struct {
	Name         string `yaml:"name"`
	InstanceType string `yaml:"instanceType"`
	Count        int32  `yaml:"count"`
}

func loadClusters(r *Region, rs RegionScenario, now time.Time, path string) error {
	st := r.SageMaker
	for i, cs := range rs.HyperPodClusters {
		field := fmt.Sprintf("%s.hyperPodClusters[%d]", path, i)
		if cs.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if st.clusters[cs.Name] != nil {
			return fmt.Errorf("%s.name: duplicate cluster %q", field, cs.Name)
		}
		status := cs.Status
		if status == "" {
			status = "InService"
		}
		switch status {
		case "InService", "Creating", "Deleting", "Failed":
		default:
			return fmt.Errorf("%s.status: %q is not one of InService, Creating, Deleting, Failed", field, status)
		}
		age, err := cs.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		if len(cs.InstanceGroups) == 0 {
			return fmt.Errorf("%s.instanceGroups: at least one instance group is required", field)
		}
		id := clusterID(r.AccountID, r.Name, cs.Name)
		cl := &hyperCluster{
			name: cs.Name, id: id, created: now.Add(-age),
			machine: machine{status: status, lastMo: now.Add(-age),
				arn: fmt.Sprintf("arn:aws:sagemaker:%s:%s:cluster/%s", r.Name, r.AccountID, id)},
		}
		switch status {
		case "Creating":
			cl.next = &transition{to: "InService", at: now.Add(clusterCreateDuration)}
		case "Deleting":
			cl.lastMo = now
			cl.next = &transition{to: "Deleted", at: now.Add(clusterDeleteDuration)}
		case "Failed":
			cl.failure = "Cluster creation failed: insufficient capacity"
		}
		role := fmt.Sprintf("arn:aws:iam::%s:role/SageMakerHyperPod", r.AccountID)
		seen := map[string]bool{}
		for j, gs := range cs.InstanceGroups {
			gfield := fmt.Sprintf("%s.instanceGroups[%d]", field, j)
			switch {
			case gs.Name == "":
				return fmt.Errorf("%s.name: required", gfield)
			case seen[gs.Name]:
				return fmt.Errorf("%s.name: duplicate instance group %q", gfield, gs.Name)
			case gs.InstanceType == "":
				return fmt.Errorf("%s.instanceType: required", gfield)
			case gs.Count < 0:
				return fmt.Errorf("%s.count: %d is negative", gfield, gs.Count)
			}
			seen[gs.Name] = true
			cl.groups = append(cl.groups, &instanceGroup{
				name: gs.Name, instanceType: gs.InstanceType, count: gs.Count, role: role,
				lifecycle: smtypes.ClusterLifeCycleConfig{
					SourceS3Uri: aws.String(fmt.Sprintf("s3://sagemaker-%s-%s/hyperpod/lifecycle/", r.Name, r.AccountID)),
					OnCreate:    aws.String("on_create.sh"),
				},
			})
		}
		st.clustersOf()[cl.name] = cl
		if err := st.setTags(cl.arn, tagList(cs.Tags)); err != nil {
			return fmt.Errorf("%s.tags: %s", field, err.Message)
		}
	}
	return nil
}

package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
)

// SageMaker hosting: models, endpoint configs, endpoints and inference
// components. An endpoint's variants are what the endpoint runs now; the
// endpoint config is only the recipe it was built from, and DescribeEndpoint,
// like AWS, does not repeat the config's instance types.

// inferenceComponentCreateDuration is how long a new inference component
// takes to place its copies on the endpoint's instances.
const inferenceComponentCreateDuration = 6 * time.Minute

// endpointScaleDuration is how long UpdateEndpointWeightsAndCapacities keeps
// an endpoint Updating: adding instances takes a few minutes on AWS, faster
// than a full blue/green UpdateEndpoint.
const endpointScaleDuration = 4 * time.Minute

// hostingState is the part of a region's SageMaker hosting state that does
// not fit the plain maps of sageMakerState.
type hostingState struct {
	components map[string]*inferenceComponent
	// due is the earliest pending transition of an endpoint or inference
	// component (zero: none), so that settling is free between transitions
	// even with thousands of endpoints.
	due time.Time
}

// schedule notes a pending transition at t.
func (h *hostingState) schedule(t time.Time) {
	if h.due.IsZero() || t.Before(h.due) {
		h.due = t
	}
}

// model is a SageMaker model: one or more containers.
type model struct {
	name, arn   string
	primary     *smtypes.ContainerDefinition
	containers  []smtypes.ContainerDefinition
	roleArn     string
	isolation   bool
	created     time.Time
	inferenceEx *smtypes.InferenceExecutionConfig
}

// images lists the container images the model runs.
func (m *model) images() []string {
	var out []string
	if m.primary != nil && m.primary.Image != nil {
		out = append(out, *m.primary.Image)
	}
	for _, c := range m.containers {
		if c.Image != nil {
			out = append(out, *c.Image)
		}
	}
	return out
}

// endpointConfig is an endpoint configuration.
type endpointConfig struct {
	name, arn   string
	variants    []smtypes.ProductionVariant
	shadow      []smtypes.ProductionVariant
	async       *smtypes.AsyncInferenceConfig
	dataCapture *smtypes.DataCaptureConfig
	roleArn     string
	kmsKeyID    string
	created     time.Time
	// models is set only on the snapshot an endpoint deploys from (see
	// pendingConfig).
	models map[string]*model
}

// variant is one production (or shadow) variant as the endpoint runs it.
type variant struct {
	name          string
	model         string // "" on an endpoint that hosts inference components
	instanceType  string // "" for serverless
	serverless    *smtypes.ProductionVariantServerlessConfig
	current       int32
	desired       int32
	currentWeight float32
	desiredWeight float32
	images        []string
	resolvedAt    time.Time
}

func (v *variant) summary() smtypes.ProductionVariantSummary {
	s := smtypes.ProductionVariantSummary{
		VariantName:   aws.String(v.name),
		CurrentWeight: aws.Float32(v.currentWeight),
		DesiredWeight: aws.Float32(v.desiredWeight),
	}
	if v.serverless != nil {
		cfg := *v.serverless
		s.CurrentServerlessConfig = &cfg
		desired := cfg
		s.DesiredServerlessConfig = &desired
	} else {
		s.CurrentInstanceCount = aws.Int32(v.current)
		s.DesiredInstanceCount = aws.Int32(v.desired)
	}
	for _, img := range v.images {
		s.DeployedImages = append(s.DeployedImages, smtypes.DeployedImage{
			SpecifiedImage: aws.String(img),
			ResolvedImage:  aws.String(resolveImage(img)),
			ResolutionTime: aws.Time(v.resolvedAt),
		})
	}
	return s
}

// resolveImage pins an image reference to a digest, as SageMaker does when
// it deploys: the digest is derived from the reference so it is stable.
func resolveImage(img string) string {
	repo := img
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		repo = img[:i]
	}
	if strings.Contains(img, "@sha256:") {
		return img
	}
	sum := sha256.Sum256([]byte(img))
	return repo + "@sha256:" + hex.EncodeToString(sum[:])
}

// endpoint is a SageMaker endpoint.
type endpoint struct {
	name, arn     string
	config        string
	status        string
	failureReason string
	variants      []*variant
	shadow        []*variant
	async         *smtypes.AsyncInferenceConfig
	dataCapture   *smtypes.DataCaptureConfig
	created       time.Time
	lastMo        time.Time
	next          *transition
	deleting      bool
	// pending is the config an UpdateEndpoint switches to when it settles.
	pending *endpointConfig
	// retain keeps variants' current counts and weights across an update.
	retain bool
}

func (e *endpoint) inProgress() bool {
	switch e.status {
	case "Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting":
		return true
	}
	return false
}

func (e *endpoint) variant(name string) *variant {
	for _, v := range e.variants {
		if v.name == name {
			return v
		}
	}
	return nil
}

// settle applies a due transition; it reports whether the endpoint is gone.
func (e *endpoint) settle(now time.Time) (gone bool) {
	if e.next == nil || now.Before(e.next.at) {
		return false
	}
	at := e.next.at
	if e.deleting {
		return true
	}
	if e.pending != nil {
		old := e.variants
		e.config = e.pending.name
		e.variants = e.pending.runVariants(e.pending.variants, e.pending.models)
		e.shadow = e.pending.runVariants(e.pending.shadow, e.pending.models)
		e.async, e.dataCapture = e.pending.async, e.pending.dataCapture
		if e.retain {
			for _, v := range e.variants {
				for _, o := range old {
					if o.name == v.name {
						v.desired, v.desiredWeight = o.desired, o.desiredWeight
					}
				}
			}
		}
		e.pending, e.retain = nil, false
	}
	for _, v := range append(append([]*variant(nil), e.variants...), e.shadow...) {
		v.current, v.currentWeight = v.desired, v.desiredWeight
		if v.resolvedAt.IsZero() {
			v.resolvedAt = at
		}
	}
	e.status, e.lastMo, e.next = e.next.to, at, nil
	return false
}

func (e *endpoint) startTransition(h *hostingState, now time.Time, via, to string, d time.Duration) {
	e.status = via
	e.lastMo = now
	e.next = &transition{to: to, at: now.Add(d)}
	h.schedule(e.next.at)
}

// runVariants builds the variants an endpoint runs from a config's
// ProductionVariants, with images from the models as they are now.
func (cfg *endpointConfig) runVariants(pvs []smtypes.ProductionVariant, models map[string]*model) []*variant {
	out := make([]*variant, 0, len(pvs))
	for _, pv := range pvs {
		v := &variant{
			name:          aws.ToString(pv.VariantName),
			model:         aws.ToString(pv.ModelName),
			instanceType:  string(pv.InstanceType),
			desired:       aws.ToInt32(pv.InitialInstanceCount),
			desiredWeight: 1,
		}
		if pv.InitialVariantWeight != nil {
			v.desiredWeight = *pv.InitialVariantWeight
		}
		if pv.ServerlessConfig != nil {
			sc := *pv.ServerlessConfig
			v.serverless = &sc
			v.desired = 0
		}
		if m, ok := models[v.model]; ok {
			v.images = m.images()
		}
		out = append(out, v)
	}
	return out
}

// inferenceComponent is a model placed on an endpoint that hosts inference
// components.
type inferenceComponent struct {
	name, arn       string
	endpoint        string
	endpointArn     string
	variant         string
	spec            smtypes.InferenceComponentSpecification
	images          []string
	copies          int32
	current         int32
	status          string
	created, lastMo time.Time
	next            *transition
}

func (ic *inferenceComponent) settle(now time.Time) {
	if ic.next == nil || now.Before(ic.next.at) {
		return
	}
	ic.status, ic.lastMo, ic.current, ic.next = ic.next.to, ic.next.at, ic.copies, nil
}

func (st *sageMakerState) settleEndpoints(now time.Time) {
	h := &st.hosting
	if h.due.IsZero() || now.Before(h.due) {
		return
	}
	var next time.Time
	later := func(t *transition) {
		if t != nil && (next.IsZero() || t.at.Before(next)) {
			next = t.at
		}
	}
	for name, e := range st.endpoints {
		if e.settle(now) {
			st.dropEndpoint(name)
			continue
		}
		later(e.next)
	}
	for _, ic := range h.components {
		ic.settle(now)
		later(ic.next)
	}
	h.due = next
}

// dropEndpoint removes a deleted endpoint, its tags and its inference
// components.
func (st *sageMakerState) dropEndpoint(name string) {
	e, ok := st.endpoints[name]
	if !ok {
		return
	}
	delete(st.endpoints, name)
	delete(st.tags, e.arn)
	for n, ic := range st.hosting.components {
		if ic.endpoint == name {
			delete(st.hosting.components, n)
			delete(st.tags, ic.arn)
		}
	}
}

func sageMakerEndpointOps() map[string]handler {
	return map[string]handler{
		"CreateModel":                        op(createModel),
		"DescribeModel":                      op(describeModel),
		"ListModels":                         op(listModels),
		"DeleteModel":                        op(deleteModel),
		"CreateEndpointConfig":               op(createEndpointConfig),
		"DescribeEndpointConfig":             op(describeEndpointConfig),
		"ListEndpointConfigs":                op(listEndpointConfigs),
		"DeleteEndpointConfig":               op(deleteEndpointConfig),
		"CreateEndpoint":                     op(createEndpoint),
		"DescribeEndpoint":                   op(describeEndpoint),
		"ListEndpoints":                      op(listEndpoints),
		"UpdateEndpoint":                     op(updateEndpoint),
		"UpdateEndpointWeightsAndCapacities": op(updateEndpointWeightsAndCapacities),
		"DeleteEndpoint":                     op(deleteEndpoint),
		"CreateInferenceComponent":           op(createInferenceComponent),
		"DescribeInferenceComponent":         op(describeInferenceComponent),
		"ListInferenceComponents":            op(listInferenceComponents),
	}
}

// namePattern is the pattern of model, endpoint config, endpoint and
// inference component names.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

func checkName(member, name string) *wire.Error {
	if namePattern.MatchString(name) {
		return nil
	}
	return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name, lowerFirst(member))
}

// hostingARN is the ARN of a hosting resource; SageMaker lowercases names
// in ARNs.
func hostingARN(region, account, kind, name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s/%s", region, account, kind, strings.ToLower(name))
}

func (c *Call) hostingARN(kind, name string) string {
	return hostingARN(c.Region.Name, c.Account.ID, kind, name)
}

func notFound(what, arn string) *wire.Error {
	return validation("Could not find %s \"%s\".", what, arn)
}

func alreadyExists(what, arn string) *wire.Error {
	return validation("Cannot create already existing %s \"%s\".", what, arn)
}

// --- models ---

func createModel(c *Call, in *sagemaker.CreateModelInput) (*sagemaker.CreateModelOutput, error) {
	if e := required("ModelName", in.ModelName != nil); e != nil {
		return nil, e
	}
	if e := checkName("ModelName", *in.ModelName); e != nil {
		return nil, e
	}
	if in.PrimaryContainer == nil && len(in.Containers) == 0 {
		return nil, validation("Either PrimaryContainer or Containers must be specified.")
	}
	st := c.Region.SageMaker
	name := *in.ModelName
	arn := c.hostingARN("model", name)
	if _, dup := st.models[name]; dup {
		return nil, alreadyExists("model", arn)
	}
	m := &model{
		name: name, arn: arn, primary: in.PrimaryContainer, containers: in.Containers,
		roleArn: aws.ToString(in.ExecutionRoleArn), isolation: aws.ToBool(in.EnableNetworkIsolation),
		inferenceEx: in.InferenceExecutionConfig, created: c.Now,
	}
	if e := st.setTags(arn, in.Tags); e != nil {
		return nil, e
	}
	st.models[name] = m
	return &sagemaker.CreateModelOutput{ModelArn: aws.String(arn)}, nil
}

func modelFor(c *Call, name *string) (*model, error) {
	if e := required("ModelName", name != nil); e != nil {
		return nil, e
	}
	m, ok := c.Region.SageMaker.models[*name]
	if !ok {
		return nil, notFound("model", c.hostingARN("model", *name))
	}
	return m, nil
}

func describeModel(c *Call, in *sagemaker.DescribeModelInput) (*sagemaker.DescribeModelOutput, error) {
	m, err := modelFor(c, in.ModelName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeModelOutput{
		ModelName:                aws.String(m.name),
		ModelArn:                 aws.String(m.arn),
		PrimaryContainer:         m.primary,
		Containers:               m.containers,
		CreationTime:             aws.Time(m.created),
		EnableNetworkIsolation:   aws.Bool(m.isolation),
		InferenceExecutionConfig: m.inferenceEx,
	}
	if m.roleArn != "" {
		out.ExecutionRoleArn = aws.String(m.roleArn)
	}
	return out, nil
}

func listModels(c *Call, in *sagemaker.ListModelsInput) (*sagemaker.ListModelsOutput, error) {
	q := listQuery{nameContains: in.NameContains, createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore}
	key := func(m *model) listed { return listed{name: m.name, created: m.created, lastMo: m.created} }
	items := selectListed(c.Region.SageMaker.models, q, key, nil, string(in.SortBy), in.SortOrder != smtypes.OrderKeyAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListModelsOutput{NextToken: next, Models: []smtypes.ModelSummary{}}
	for _, m := range page {
		out.Models = append(out.Models, smtypes.ModelSummary{ModelName: aws.String(m.name), ModelArn: aws.String(m.arn), CreationTime: aws.Time(m.created)})
	}
	return out, nil
}

func deleteModel(c *Call, in *sagemaker.DeleteModelInput) (*sagemaker.DeleteModelOutput, error) {
	m, err := modelFor(c, in.ModelName)
	if err != nil {
		return nil, err
	}
	// Like AWS, a model in use by an endpoint can be deleted: the endpoint
	// keeps running the containers it already deployed.
	st := c.Region.SageMaker
	delete(st.models, m.name)
	delete(st.tags, m.arn)
	return &sagemaker.DeleteModelOutput{}, nil
}

// --- endpoint configs ---

func checkVariants(c *Call, member string, pvs []smtypes.ProductionVariant, shadow bool) *wire.Error {
	st := c.Region.SageMaker
	seen := map[string]bool{}
	for i, pv := range pvs {
		field := fmt.Sprintf("%s.%d.member", lowerFirst(member), i+1)
		if pv.VariantName == nil {
			return validation("1 validation error detected: Value null at '%s.variantName' failed to satisfy constraint: Member must not be null", field)
		}
		name := *pv.VariantName
		if seen[name] {
			return validation("Variant name %s is duplicated; variant names must be unique.", name)
		}
		seen[name] = true
		if pv.ModelName != nil {
			if _, ok := st.models[*pv.ModelName]; !ok {
				return notFound("model", c.hostingARN("model", *pv.ModelName))
			}
		}
		switch {
		case pv.ServerlessConfig != nil && pv.InstanceType != "":
			return validation("Invalid ProductionVariant '%s': ServerlessConfig and InstanceType are mutually exclusive.", name)
		case pv.ServerlessConfig != nil:
			sc := pv.ServerlessConfig
			if sc.MemorySizeInMB == nil || sc.MaxConcurrency == nil {
				return validation("1 validation error detected: Value null at '%s.serverlessConfig.memorySizeInMB' failed to satisfy constraint: Member must not be null", field)
			}
			if m := *sc.MemorySizeInMB; m < 1024 || m > 6144 || m%1024 != 0 {
				return validation("1 validation error detected: Value '%d' at '%s.serverlessConfig.memorySizeInMB' failed to satisfy constraint: Member must be one of 1024, 2048, 3072, 4096, 5120, 6144", m, field)
			}
			if mc := *sc.MaxConcurrency; mc < 1 || mc > 200 {
				return validation("1 validation error detected: Value '%d' at '%s.serverlessConfig.maxConcurrency' failed to satisfy constraint: Member must have value between 1 and 200", mc, field)
			}
		case pv.InstanceType == "":
			return validation("Invalid ProductionVariant '%s': InstanceType or ServerlessConfig must be specified.", name)
		case pv.InitialInstanceCount == nil:
			return validation("Invalid ProductionVariant '%s': InitialInstanceCount must be specified for instance-based variants.", name)
		}
	}
	if shadow && len(pvs) > 1 {
		return validation("1 validation error detected: Value at 'shadowProductionVariants' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	return nil
}

func createEndpointConfig(c *Call, in *sagemaker.CreateEndpointConfigInput) (*sagemaker.CreateEndpointConfigOutput, error) {
	if e := required("EndpointConfigName", in.EndpointConfigName != nil); e != nil {
		return nil, e
	}
	if e := required("ProductionVariants", in.ProductionVariants != nil); e != nil {
		return nil, e
	}
	if e := checkName("EndpointConfigName", *in.EndpointConfigName); e != nil {
		return nil, e
	}
	if len(in.ProductionVariants) == 0 || len(in.ProductionVariants) > 10 {
		return nil, validation("1 validation error detected: Value at 'productionVariants' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	if e := checkVariants(c, "ProductionVariants", in.ProductionVariants, false); e != nil {
		return nil, e
	}
	if e := checkVariants(c, "ShadowProductionVariants", in.ShadowProductionVariants, true); e != nil {
		return nil, e
	}
	for _, pv := range in.ProductionVariants {
		if pv.ModelName == nil && in.ExecutionRoleArn == nil {
			return nil, validation("Invalid ProductionVariant '%s': ModelName must be specified unless the endpoint config has an ExecutionRoleArn for inference components.", aws.ToString(pv.VariantName))
		}
	}
	if in.AsyncInferenceConfig != nil {
		for _, pv := range in.ProductionVariants {
			if pv.ServerlessConfig != nil {
				return nil, validation("AsyncInferenceConfig is not supported for serverless endpoints.")
			}
		}
		if in.AsyncInferenceConfig.OutputConfig == nil {
			return nil, validation("1 validation error detected: Value null at 'asyncInferenceConfig.outputConfig' failed to satisfy constraint: Member must not be null")
		}
	}
	st := c.Region.SageMaker
	name := *in.EndpointConfigName
	arn := c.hostingARN("endpoint-config", name)
	if _, dup := st.endpointConfigs[name]; dup {
		return nil, alreadyExists("endpoint configuration", arn)
	}
	cfg := &endpointConfig{
		name: name, arn: arn, variants: in.ProductionVariants, shadow: in.ShadowProductionVariants,
		async: in.AsyncInferenceConfig, dataCapture: in.DataCaptureConfig,
		roleArn: aws.ToString(in.ExecutionRoleArn), kmsKeyID: aws.ToString(in.KmsKeyId), created: c.Now,
	}
	for i := range cfg.variants {
		if cfg.variants[i].InitialVariantWeight == nil {
			cfg.variants[i].InitialVariantWeight = aws.Float32(1)
		}
	}
	if e := st.setTags(arn, in.Tags); e != nil {
		return nil, e
	}
	st.endpointConfigs[name] = cfg
	return &sagemaker.CreateEndpointConfigOutput{EndpointConfigArn: aws.String(arn)}, nil
}

func endpointConfigFor(c *Call, name *string) (*endpointConfig, error) {
	if e := required("EndpointConfigName", name != nil); e != nil {
		return nil, e
	}
	cfg, ok := c.Region.SageMaker.endpointConfigs[*name]
	if !ok {
		return nil, notFound("endpoint configuration", c.hostingARN("endpoint-config", *name))
	}
	return cfg, nil
}

func describeEndpointConfig(c *Call, in *sagemaker.DescribeEndpointConfigInput) (*sagemaker.DescribeEndpointConfigOutput, error) {
	cfg, err := endpointConfigFor(c, in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeEndpointConfigOutput{
		EndpointConfigName:       aws.String(cfg.name),
		EndpointConfigArn:        aws.String(cfg.arn),
		ProductionVariants:       cfg.variants,
		ShadowProductionVariants: cfg.shadow,
		AsyncInferenceConfig:     cfg.async,
		DataCaptureConfig:        cfg.dataCapture,
		CreationTime:             aws.Time(cfg.created),
	}
	if cfg.roleArn != "" {
		out.ExecutionRoleArn = aws.String(cfg.roleArn)
	}
	if cfg.kmsKeyID != "" {
		out.KmsKeyId = aws.String(cfg.kmsKeyID)
	}
	return out, nil
}

func listEndpointConfigs(c *Call, in *sagemaker.ListEndpointConfigsInput) (*sagemaker.ListEndpointConfigsOutput, error) {
	q := listQuery{nameContains: in.NameContains, createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore}
	key := func(e *endpointConfig) listed { return listed{name: e.name, created: e.created, lastMo: e.created} }
	items := selectListed(c.Region.SageMaker.endpointConfigs, q, key, nil, string(in.SortBy), in.SortOrder != smtypes.OrderKeyAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListEndpointConfigsOutput{NextToken: next, EndpointConfigs: []smtypes.EndpointConfigSummary{}}
	for _, cfg := range page {
		out.EndpointConfigs = append(out.EndpointConfigs, smtypes.EndpointConfigSummary{
			EndpointConfigName: aws.String(cfg.name), EndpointConfigArn: aws.String(cfg.arn), CreationTime: aws.Time(cfg.created),
		})
	}
	return out, nil
}

func deleteEndpointConfig(c *Call, in *sagemaker.DeleteEndpointConfigInput) (*sagemaker.DeleteEndpointConfigOutput, error) {
	cfg, err := endpointConfigFor(c, in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	// AWS lets a config in use be deleted; the endpoint keeps running (and
	// a later UpdateEndpoint cannot roll back to it).
	st := c.Region.SageMaker
	delete(st.endpointConfigs, cfg.name)
	delete(st.tags, cfg.arn)
	return &sagemaker.DeleteEndpointConfigOutput{}, nil
}

// --- endpoints ---

// pendingConfig snapshots cfg with the models it needs, so that a model
// deleted while the endpoint is Creating still has its images deployed.
func pendingConfig(st *sageMakerState, cfg *endpointConfig) *endpointConfig {
	cp := *cfg
	cp.models = map[string]*model{}
	for _, pv := range append(append([]smtypes.ProductionVariant(nil), cfg.variants...), cfg.shadow...) {
		if m, ok := st.models[aws.ToString(pv.ModelName)]; ok {
			cp.models[m.name] = m
		}
	}
	return &cp
}

func createEndpoint(c *Call, in *sagemaker.CreateEndpointInput) (*sagemaker.CreateEndpointOutput, error) {
	if e := required("EndpointName", in.EndpointName != nil); e != nil {
		return nil, e
	}
	if e := required("EndpointConfigName", in.EndpointConfigName != nil); e != nil {
		return nil, e
	}
	if e := checkName("EndpointName", *in.EndpointName); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	name := *in.EndpointName
	arn := c.hostingARN("endpoint", name)
	if _, dup := st.endpoints[name]; dup {
		return nil, alreadyExists("endpoint", arn)
	}
	cfg, err := endpointConfigFor(c, in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	e := &endpoint{name: name, arn: arn, config: cfg.name, created: c.Now, pending: pendingConfig(st, cfg)}
	e.startTransition(&st.hosting, c.Now, "Creating", "InService", endpointCreateDuration)
	if err := st.setTags(arn, in.Tags); err != nil {
		return nil, err
	}
	st.endpoints[name] = e
	return &sagemaker.CreateEndpointOutput{EndpointArn: aws.String(arn)}, nil
}

func endpointFor(c *Call, name *string) (*endpoint, error) {
	if e := required("EndpointName", name != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	e, ok := st.endpoints[*name]
	if !ok {
		return nil, notFound("endpoint", c.hostingARN("endpoint", *name))
	}
	return e, nil
}

func summaries(vs []*variant) []smtypes.ProductionVariantSummary {
	if len(vs) == 0 {
		return nil
	}
	out := make([]smtypes.ProductionVariantSummary, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.summary())
	}
	return out
}

func dataCaptureSummary(dc *smtypes.DataCaptureConfig) *smtypes.DataCaptureConfigSummary {
	if dc == nil {
		return nil
	}
	enabled := dc.EnableCapture == nil || *dc.EnableCapture
	status := smtypes.CaptureStatusStarted
	if !enabled {
		status = smtypes.CaptureStatusStopped
	}
	return &smtypes.DataCaptureConfigSummary{
		EnableCapture:             aws.Bool(enabled),
		CaptureStatus:             status,
		CurrentSamplingPercentage: dc.InitialSamplingPercentage,
		DestinationS3Uri:          dc.DestinationS3Uri,
		KmsKeyId:                  aws.String(aws.ToString(dc.KmsKeyId)),
	}
}

func describeEndpoint(c *Call, in *sagemaker.DescribeEndpointInput) (*sagemaker.DescribeEndpointOutput, error) {
	e, err := endpointFor(c, in.EndpointName)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.DescribeEndpointOutput{
		EndpointName:       aws.String(e.name),
		EndpointArn:        aws.String(e.arn),
		EndpointConfigName: aws.String(e.config),
		EndpointStatus:     smtypes.EndpointStatus(e.status),
		CreationTime:       aws.Time(e.created),
		LastModifiedTime:   aws.Time(e.lastMo),
		// Variants appear once the endpoint has been deployed: a Creating
		// endpoint has none yet.
		ProductionVariants:       summaries(e.variants),
		ShadowProductionVariants: summaries(e.shadow),
		AsyncInferenceConfig:     e.async,
		DataCaptureConfig:        dataCaptureSummary(e.dataCapture),
	}
	if e.failureReason != "" {
		out.FailureReason = aws.String(e.failureReason)
	}
	return out, nil
}

func listEndpoints(c *Call, in *sagemaker.ListEndpointsInput) (*sagemaker.ListEndpointsOutput, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	q := listQuery{
		nameContains: in.NameContains, status: string(in.StatusEquals),
		createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
		modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
	}
	key := func(e *endpoint) listed {
		return listed{name: e.name, status: e.status, created: e.created, lastMo: e.lastMo}
	}
	items := selectListed(st.endpoints, q, key, nil, string(in.SortBy), in.SortOrder != smtypes.OrderKeyAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListEndpointsOutput{NextToken: next, Endpoints: []smtypes.EndpointSummary{}}
	for _, e := range page {
		out.Endpoints = append(out.Endpoints, smtypes.EndpointSummary{
			EndpointName: aws.String(e.name), EndpointArn: aws.String(e.arn),
			EndpointStatus: smtypes.EndpointStatus(e.status),
			CreationTime:   aws.Time(e.created), LastModifiedTime: aws.Time(e.lastMo),
		})
	}
	return out, nil
}

func inProgressError(e *endpoint) *wire.Error {
	return validation("Cannot update in-progress endpoint \"%s\".", e.arn)
}

func updateEndpoint(c *Call, in *sagemaker.UpdateEndpointInput) (*sagemaker.UpdateEndpointOutput, error) {
	if e := required("EndpointConfigName", in.EndpointConfigName != nil); e != nil {
		return nil, e
	}
	e, err := endpointFor(c, in.EndpointName)
	if err != nil {
		return nil, err
	}
	if e.status != "InService" {
		return nil, inProgressError(e)
	}
	cfg, err := endpointConfigFor(c, in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	// Application Auto Scaling refuses updates that remove a registered
	// variant or change its instance type; changing only the model is fine.
	var blocked []string
	for _, v := range e.variants {
		if !c.Region.AutoScaling.hasVariantTarget(e.name, v.name) {
			continue
		}
		kept := false
		for _, pv := range cfg.variants {
			if aws.ToString(pv.VariantName) == v.name && string(pv.InstanceType) == v.instanceType {
				kept = true
			}
		}
		if !kept {
			blocked = append(blocked, v.name)
		}
	}
	if len(blocked) > 0 {
		return nil, validation("The variant(s) \"[%s]\" must be deregistered as scalable targets with AWS Application Auto Scaling before they can be removed or have their instance type updated.", strings.Join(blocked, ", "))
	}
	st := c.Region.SageMaker
	e.pending = pendingConfig(st, cfg)
	e.retain = aws.ToBool(in.RetainAllVariantProperties)
	e.startTransition(&st.hosting, c.Now, "Updating", "InService", endpointUpdateDuration)
	return &sagemaker.UpdateEndpointOutput{EndpointArn: aws.String(e.arn)}, nil
}

func updateEndpointWeightsAndCapacities(c *Call, in *sagemaker.UpdateEndpointWeightsAndCapacitiesInput) (*sagemaker.UpdateEndpointWeightsAndCapacitiesOutput, error) {
	if e := required("DesiredWeightsAndCapacities", in.DesiredWeightsAndCapacities != nil); e != nil {
		return nil, e
	}
	e, err := endpointFor(c, in.EndpointName)
	if err != nil {
		return nil, err
	}
	if e.status != "InService" {
		return nil, inProgressError(e)
	}
	var missing []string
	for _, d := range in.DesiredWeightsAndCapacities {
		if d.VariantName == nil {
			return nil, validation("1 validation error detected: Value null at 'desiredWeightsAndCapacities.1.member.variantName' failed to satisfy constraint: Member must not be null")
		}
		v := e.variant(*d.VariantName)
		if v == nil {
			missing = append(missing, *d.VariantName)
			continue
		}
		if d.DesiredInstanceCount != nil && v.serverless != nil {
			return nil, validation("DesiredInstanceCount cannot be specified for serverless variant %s.", v.name)
		}
		if d.DesiredInstanceCount != nil && *d.DesiredInstanceCount < 0 {
			return nil, validation("1 validation error detected: Value '%d' at 'desiredWeightsAndCapacities.1.member.desiredInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 0", *d.DesiredInstanceCount)
		}
		if d.DesiredWeight != nil && *d.DesiredWeight < 0 {
			return nil, validation("1 validation error detected: Value '%g' at 'desiredWeightsAndCapacities.1.member.desiredWeight' failed to satisfy constraint: Member must have value greater than or equal to 0", *d.DesiredWeight)
		}
	}
	if len(missing) > 0 {
		return nil, validation("The variant name(s) \"[%s]\" is/are not present in the endpoint \"%s\".", strings.Join(missing, ", "), e.arn)
	}
	for _, d := range in.DesiredWeightsAndCapacities {
		v := e.variant(*d.VariantName)
		if d.DesiredInstanceCount != nil {
			v.desired = *d.DesiredInstanceCount
		}
		if d.DesiredWeight != nil {
			v.desiredWeight = *d.DesiredWeight
		}
	}
	e.startTransition(&c.Region.SageMaker.hosting, c.Now, "Updating", "InService", endpointScaleDuration)
	return &sagemaker.UpdateEndpointWeightsAndCapacitiesOutput{EndpointArn: aws.String(e.arn)}, nil
}

func deleteEndpoint(c *Call, in *sagemaker.DeleteEndpointInput) (*sagemaker.DeleteEndpointOutput, error) {
	e, err := endpointFor(c, in.EndpointName)
	if err != nil {
		return nil, err
	}
	if e.inProgress() {
		return nil, inProgressError(e)
	}
	// Deleting an endpoint deregisters its variants from Application Auto
	// Scaling (with their policies), as AWS does; the endpoint config and
	// models stay.
	c.Region.AutoScaling.dropEndpoint(e.name)
	e.deleting = true
	e.startTransition(&c.Region.SageMaker.hosting, c.Now, "Deleting", "Deleted", endpointDeleteDuration)
	return &sagemaker.DeleteEndpointOutput{}, nil
}

// --- inference components ---

func createInferenceComponent(c *Call, in *sagemaker.CreateInferenceComponentInput) (*sagemaker.CreateInferenceComponentOutput, error) {
	if e := required("InferenceComponentName", in.InferenceComponentName != nil); e != nil {
		return nil, e
	}
	if e := required("EndpointName", in.EndpointName != nil); e != nil {
		return nil, e
	}
	if e := checkName("InferenceComponentName", *in.InferenceComponentName); e != nil {
		return nil, e
	}
	if in.Specification == nil && len(in.Specifications) == 0 {
		return nil, validation("1 validation error detected: Value null at 'specification' failed to satisfy constraint: Member must not be null")
	}
	e, err := endpointFor(c, in.EndpointName)
	if err != nil {
		return nil, err
	}
	st := c.Region.SageMaker
	name := *in.InferenceComponentName
	arn := c.hostingARN("inference-component", name)
	if st.hosting.components == nil {
		st.hosting.components = map[string]*inferenceComponent{}
	}
	if _, dup := st.hosting.components[name]; dup {
		return nil, alreadyExists("inference component", arn)
	}
	vname := aws.ToString(in.VariantName)
	if vname == "" && len(e.variants) > 0 {
		vname = e.variants[0].name
	}
	v := e.variant(vname)
	if v == nil {
		return nil, validation("Variant %s is not present in endpoint \"%s\".", vname, e.arn)
	}
	if v.model != "" {
		return nil, validation("Inference components are not supported on endpoint \"%s\": variant %s hosts model %s.", e.arn, v.name, v.model)
	}
	spec := smtypes.InferenceComponentSpecification{}
	if in.Specification != nil {
		spec = *in.Specification
	} else {
		spec = in.Specifications[0]
	}
	ic := &inferenceComponent{
		name: name, arn: arn, endpoint: e.name, endpointArn: e.arn, variant: v.name,
		spec: spec, copies: 1, created: c.Now,
	}
	if in.RuntimeConfig != nil && in.RuntimeConfig.CopyCount != nil {
		ic.copies = *in.RuntimeConfig.CopyCount
	}
	if spec.ModelName != nil {
		m, ok := st.models[*spec.ModelName]
		if !ok {
			return nil, notFound("model", c.hostingARN("model", *spec.ModelName))
		}
		ic.images = m.images()
	} else if spec.Container != nil && spec.Container.Image != nil {
		ic.images = []string{*spec.Container.Image}
	}
	if err := st.setTags(arn, in.Tags); err != nil {
		return nil, err
	}
	ic.status, ic.lastMo = "Creating", c.Now
	ic.next = &transition{to: "InService", at: c.Now.Add(inferenceComponentCreateDuration)}
	st.hosting.schedule(ic.next.at)
	st.hosting.components[name] = ic
	return &sagemaker.CreateInferenceComponentOutput{InferenceComponentArn: aws.String(arn)}, nil
}

func describeInferenceComponent(c *Call, in *sagemaker.DescribeInferenceComponentInput) (*sagemaker.DescribeInferenceComponentOutput, error) {
	if e := required("InferenceComponentName", in.InferenceComponentName != nil); e != nil {
		return nil, e
	}
	st := c.Region.SageMaker
	st.settle(c.Now)
	ic, ok := st.hosting.components[*in.InferenceComponentName]
	if !ok {
		return nil, notFound("inference component", c.hostingARN("inference-component", *in.InferenceComponentName))
	}
	spec := &smtypes.InferenceComponentSpecificationSummary{
		ModelName:                   ic.spec.ModelName,
		ComputeResourceRequirements: ic.spec.ComputeResourceRequirements,
		StartupParameters:           ic.spec.StartupParameters,
		BaseInferenceComponentName:  ic.spec.BaseInferenceComponentName,
	}
	if len(ic.images) > 0 && ic.spec.Container != nil {
		spec.Container = &smtypes.InferenceComponentContainerSpecificationSummary{
			ArtifactUrl: ic.spec.Container.ArtifactUrl,
			Environment: ic.spec.Container.Environment,
			DeployedImage: &smtypes.DeployedImage{
				SpecifiedImage: aws.String(ic.images[0]),
				ResolvedImage:  aws.String(resolveImage(ic.images[0])),
				ResolutionTime: aws.Time(ic.created),
			},
		}
	}
	return &sagemaker.DescribeInferenceComponentOutput{
		InferenceComponentName:   aws.String(ic.name),
		InferenceComponentArn:    aws.String(ic.arn),
		EndpointName:             aws.String(ic.endpoint),
		EndpointArn:              aws.String(ic.endpointArn),
		VariantName:              aws.String(ic.variant),
		InferenceComponentStatus: smtypes.InferenceComponentStatus(ic.status),
		CreationTime:             aws.Time(ic.created),
		LastModifiedTime:         aws.Time(ic.lastMo),
		Specification:            spec,
		RuntimeConfig: &smtypes.InferenceComponentRuntimeConfigSummary{
			CurrentCopyCount: aws.Int32(ic.current),
			DesiredCopyCount: aws.Int32(ic.copies),
		},
	}, nil
}

func listInferenceComponents(c *Call, in *sagemaker.ListInferenceComponentsInput) (*sagemaker.ListInferenceComponentsOutput, error) {
	st := c.Region.SageMaker
	st.settle(c.Now)
	q := listQuery{
		nameContains: in.NameContains, status: string(in.StatusEquals),
		createdAfter: in.CreationTimeAfter, createdBefore: in.CreationTimeBefore,
		modAfter: in.LastModifiedTimeAfter, modBefore: in.LastModifiedTimeBefore,
	}
	key := func(ic *inferenceComponent) listed {
		return listed{name: ic.name, status: ic.status, created: ic.created, lastMo: ic.lastMo}
	}
	onVariant := func(ic *inferenceComponent) bool {
		return (in.EndpointNameEquals == nil || ic.endpoint == *in.EndpointNameEquals) &&
			(in.VariantNameEquals == nil || ic.variant == *in.VariantNameEquals)
	}
	items := selectListed(st.hosting.components, q, key, onVariant, string(in.SortBy), in.SortOrder != smtypes.OrderKeyAscending)
	page, next, err := paginate(items, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &sagemaker.ListInferenceComponentsOutput{NextToken: next, InferenceComponents: []smtypes.InferenceComponentSummary{}}
	for _, ic := range page {
		out.InferenceComponents = append(out.InferenceComponents, smtypes.InferenceComponentSummary{
			InferenceComponentName:   aws.String(ic.name),
			InferenceComponentArn:    aws.String(ic.arn),
			EndpointName:             aws.String(ic.endpoint),
			EndpointArn:              aws.String(ic.endpointArn),
			VariantName:              aws.String(ic.variant),
			InferenceComponentStatus: smtypes.InferenceComponentStatus(ic.status),
			CreationTime:             aws.Time(ic.created),
			LastModifiedTime:         aws.Time(ic.lastMo),
		})
	}
	return out, nil
}

// --- listing helpers shared by the hosting List operations ---

// listed is what the List operations filter and sort on.
type listed struct {
	name, status    string
	created, lastMo time.Time
}

// listQuery is the filters common to SageMaker's List operations.
type listQuery struct {
	nameContains                *string
	anyCase                     bool // nameContains ignores case (the List*Jobs operations)
	status                      string
	createdAfter, createdBefore *time.Time
	modAfter, modBefore         *time.Time
}

func (q listQuery) match(l listed) bool {
	switch {
	case q.nameContains != nil && !q.anyCase && !strings.Contains(l.name, *q.nameContains):
	case q.nameContains != nil && q.anyCase && !strings.Contains(strings.ToLower(l.name), strings.ToLower(*q.nameContains)):
	case q.status != "" && l.status != q.status:
	case q.createdAfter != nil && !l.created.After(*q.createdAfter):
	case q.createdBefore != nil && !l.created.Before(*q.createdBefore):
	case q.modAfter != nil && !l.lastMo.After(*q.modAfter):
	case q.modBefore != nil && !l.lastMo.Before(*q.modBefore):
	default:
		return true
	}
	return false
}

// selectListed is the first half of a List operation: the items of all that
// match q (and keep, unless it is nil), sorted as sortListed sorts them.
func selectListed[T any](all map[string]T, q listQuery, key func(T) listed, keep func(T) bool, by string, desc bool) []T {
	var items []T
	for _, x := range all {
		if q.match(key(x)) && (keep == nil || keep(x)) {
			items = append(items, x)
		}
	}
	sortListed(items, key, by, desc)
	return items
}

// sortListed sorts by "Name", "Status" or (the default) "CreationTime";
// AWS's default order is Descending, so callers pass desc unless the
// request says Ascending. Ties break on the name so that pages are stable.
func sortListed[T any](items []T, key func(T) listed, by string, desc bool) {
	sortBy(items, desc, func(a, b T) bool {
		ka, kb := key(a), key(b)
		switch by {
		case "Name":
			return ka.name < kb.name
		case "Status":
			if ka.status != kb.status {
				return ka.status < kb.status
			}
		default:
			if !ka.created.Equal(kb.created) {
				return ka.created.Before(kb.created)
			}
		}
		return ka.name < kb.name
	})
}

package emulator

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// ModelScenario is a model. Image is its one container; Images makes an
// inference pipeline of several containers.
type ModelScenario struct {
	Name         string            `yaml:"name"`
	Image        string            `yaml:"image,omitempty"`
	Images       []string          `yaml:"images,omitempty"`
	ModelDataURL string            `yaml:"modelDataUrl,omitempty"`
	Age          Age               `yaml:"age,omitempty"`
	Tags         map[string]string `yaml:"tags,omitempty"`
}

// VariantScenario is a production (or shadow) variant. It names an existing
// model, or gives an image (inline: a model is created for it). Instance
// variants have an instanceType and a count (default 1); serverless ones a
// serverless block instead.
type VariantScenario struct {
	Name         string              `yaml:"name"`
	Model        string              `yaml:"model,omitempty"`
	Image        string              `yaml:"image,omitempty"`
	InstanceType string              `yaml:"instanceType,omitempty"`
	Count        *int32              `yaml:"count,omitempty"`
	Weight       *float32            `yaml:"weight,omitempty"`
	Serverless   *ServerlessScenario `yaml:"serverless,omitempty"`
}

// ServerlessScenario is a serverless variant's configuration.
type ServerlessScenario struct {
	MemoryMB               int32 `yaml:"memoryMB"`
	MaxConcurrency         int32 `yaml:"maxConcurrency"`
	ProvisionedConcurrency int32 `yaml:"provisionedConcurrency,omitempty"`
}

// AsyncScenario makes an endpoint asynchronous.
type AsyncScenario struct {
	OutputPath                          string `yaml:"outputPath"`
	MaxConcurrentInvocationsPerInstance int32  `yaml:"maxConcurrentInvocationsPerInstance,omitempty"`
}

// EndpointConfigScenario is an endpoint configuration.
type EndpointConfigScenario struct {
	Name           string            `yaml:"name"`
	Variants       []VariantScenario `yaml:"variants"`
	ShadowVariants []VariantScenario `yaml:"shadowVariants,omitempty"`
	Async          *AsyncScenario    `yaml:"async,omitempty"`
	// DataCapture is an S3 URI; when set, data capture is on at 100%.
	DataCapture string `yaml:"dataCapture,omitempty"`
	// ExecutionRole makes a config for inference components (variants
	// without a model).
	ExecutionRole string            `yaml:"executionRole,omitempty"`
	Age           Age               `yaml:"age,omitempty"`
	Tags          map[string]string `yaml:"tags,omitempty"`
}

// EndpointScenario is an endpoint. It either names an existing config, or
// gives its variants inline, in which case its endpoint config (named like
// the endpoint) and models are created too, as the SageMaker Python SDK's
// deploy() does.
type EndpointScenario struct {
	Name           string            `yaml:"name"`
	Config         string            `yaml:"config,omitempty"`
	Variants       []VariantScenario `yaml:"variants,omitempty"`
	ShadowVariants []VariantScenario `yaml:"shadowVariants,omitempty"`
	Async          *AsyncScenario    `yaml:"async,omitempty"`
	DataCapture    string            `yaml:"dataCapture,omitempty"`
	ExecutionRole  string            `yaml:"executionRole,omitempty"`
	// Status: InService (default), Creating, Updating, Failed, OutOfService.
	Status        string            `yaml:"status,omitempty"`
	FailureReason string            `yaml:"failureReason,omitempty"`
	Age           Age               `yaml:"age,omitempty"`
	LastModified  Age               `yaml:"lastModified,omitempty"`
	Tags          map[string]string `yaml:"tags,omitempty"`
	// Autoscaling registers variants with Application Auto Scaling.
	Autoscaling []ScalingScenario `yaml:"autoscaling,omitempty"`
	// InferenceComponents are placed on the endpoint's (model-less) variant.
	InferenceComponents []InferenceComponentScenario `yaml:"inferenceComponents,omitempty"`
}

// ScalingScenario is a scalable target on one variant and its policies.
type ScalingScenario struct {
	Variant  string                  `yaml:"variant"`
	Min      int32                   `yaml:"min"`
	Max      int32                   `yaml:"max"`
	Policies []ScalingPolicyScenario `yaml:"policies,omitempty"`
}

// ScalingPolicyScenario is a scaling policy: target tracking on a predefined
// metric (default SageMakerVariantInvocationsPerInstance) when targetValue is
// set, otherwise a simple step scaling policy adding stepAdjustment
// instances.
type ScalingPolicyScenario struct {
	Name             string  `yaml:"name"`
	TargetValue      float64 `yaml:"targetValue,omitempty"`
	Metric           string  `yaml:"metric,omitempty"`
	ScaleInCooldown  int32   `yaml:"scaleInCooldown,omitempty"`
	ScaleOutCooldown int32   `yaml:"scaleOutCooldown,omitempty"`
	StepAdjustment   int32   `yaml:"stepAdjustment,omitempty"`
}

// InferenceComponentScenario is an inference component.
type InferenceComponentScenario struct {
	Name     string  `yaml:"name"`
	Variant  string  `yaml:"variant,omitempty"` // default: the first variant
	Model    string  `yaml:"model,omitempty"`
	Image    string  `yaml:"image,omitempty"`
	Copies   int32   `yaml:"copies,omitempty"` // default 1
	CPUs     float32 `yaml:"cpus,omitempty"`
	MemoryMB int32   `yaml:"memoryMB,omitempty"`
	GPUs     float32 `yaml:"gpus,omitempty"`
	Age      Age     `yaml:"age,omitempty"`
}

// regionLoader builds hosting resources of one region from a scenario.
type regionLoader struct {
	r    *Region
	st   *sageMakerState
	now  time.Time
	path string
}

func (l *regionLoader) arn(kind, name string) string {
	return hostingARN(l.r.Name, l.r.AccountID, kind, name)
}

func (l *regionLoader) role() string {
	return fmt.Sprintf("arn:aws:iam::%s:role/SageMakerExecution", l.r.AccountID)
}

func (l *regionLoader) tag(field, arn string, tags map[string]string) error {
	if err := l.st.setTags(arn, tagList(tags)); err != nil {
		return fmt.Errorf("%s.tags: %s", field, err.Message)
	}
	return nil
}

func (l *regionLoader) addModel(field, name string, images []string, dataURL string, created time.Time, tags map[string]string) error {
	if name == "" {
		return fmt.Errorf("%s.name: required", field)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%s.name: %q is not a valid SageMaker name (letters, digits and hyphens, up to 63)", field, name)
	}
	if len(images) == 0 {
		return fmt.Errorf("%s: image is required", field)
	}
	if _, dup := l.st.models[name]; dup {
		return fmt.Errorf("%s.name: duplicate model %q", field, name)
	}
	m := &model{name: name, arn: l.arn("model", name), roleArn: l.role(), created: created}
	for _, img := range images {
		c := smtypes.ContainerDefinition{Image: aws.String(img), Mode: smtypes.ContainerModeSingleModel}
		if dataURL != "" {
			c.ModelDataUrl = aws.String(dataURL)
		}
		m.containers = append(m.containers, c)
	}
	if len(m.containers) == 1 {
		m.primary, m.containers = &m.containers[0], nil
	}
	l.st.models[name] = m
	return l.tag(field, m.arn, tags)
}

// variants turns scenario variants into ProductionVariants, creating models
// for inline images named prefix (one variant) or prefix-variant.
func (l *regionLoader) variants(field, prefix string, vs []VariantScenario, created time.Time, tags map[string]string, roleless bool) ([]smtypes.ProductionVariant, error) {
	var out []smtypes.ProductionVariant
	for i, vsc := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if vsc.Name == "" {
			return nil, fmt.Errorf("%s.name: required", f)
		}
		pv := smtypes.ProductionVariant{VariantName: aws.String(vsc.Name), InitialVariantWeight: aws.Float32(1)}
		if vsc.Weight != nil {
			pv.InitialVariantWeight = aws.Float32(*vsc.Weight)
		}
		switch {
		case vsc.Model != "" && vsc.Image != "":
			return nil, fmt.Errorf("%s: give model or image, not both", f)
		case vsc.Model != "":
			if _, ok := l.st.models[vsc.Model]; !ok {
				return nil, fmt.Errorf("%s.model: no model %q in this region", f, vsc.Model)
			}
			pv.ModelName = aws.String(vsc.Model)
		case vsc.Image != "":
			name := prefix
			if len(vs) > 1 || strings.HasSuffix(field, "shadowVariants") {
				name = prefix + "-" + strings.ToLower(vsc.Name)
			}
			if _, exists := l.st.models[name]; !exists {
				if err := l.addModel(f, name, []string{vsc.Image}, "", created, tags); err != nil {
					return nil, err
				}
			}
			pv.ModelName = aws.String(name)
		case !roleless:
			return nil, fmt.Errorf("%s: model or image is required (or executionRole, for inference components)", f)
		}
		switch {
		case vsc.Serverless != nil && vsc.InstanceType != "":
			return nil, fmt.Errorf("%s: serverless and instanceType are mutually exclusive", f)
		case vsc.Serverless != nil:
			s := vsc.Serverless
			if s.MemoryMB < 1024 || s.MemoryMB > 6144 || s.MemoryMB%1024 != 0 {
				return nil, fmt.Errorf("%s.serverless.memoryMB: must be one of 1024, 2048, ..., 6144", f)
			}
			if s.MaxConcurrency < 1 || s.MaxConcurrency > 200 {
				return nil, fmt.Errorf("%s.serverless.maxConcurrency: must be between 1 and 200", f)
			}
			pv.ServerlessConfig = &smtypes.ProductionVariantServerlessConfig{MemorySizeInMB: aws.Int32(s.MemoryMB), MaxConcurrency: aws.Int32(s.MaxConcurrency)}
			if s.ProvisionedConcurrency > 0 {
				pv.ServerlessConfig.ProvisionedConcurrency = aws.Int32(s.ProvisionedConcurrency)
			}
		case vsc.InstanceType == "":
			return nil, fmt.Errorf("%s: instanceType or serverless is required", f)
		case !strings.HasPrefix(vsc.InstanceType, "ml."):
			return nil, fmt.Errorf("%s.instanceType: %q is not a SageMaker instance type (ml.*)", f, vsc.InstanceType)
		default:
			pv.InstanceType = smtypes.ProductionVariantInstanceType(vsc.InstanceType)
			pv.InitialInstanceCount = aws.Int32(1)
			if vsc.Count != nil {
				if *vsc.Count < 0 {
					return nil, fmt.Errorf("%s.count: must not be negative", f)
				}
				pv.InitialInstanceCount = aws.Int32(*vsc.Count)
			}
		}
		out = append(out, pv)
	}
	return out, nil
}

func (l *regionLoader) addConfig(field string, cs EndpointConfigScenario, created time.Time) (*endpointConfig, error) {
	if cs.Name == "" {
		return nil, fmt.Errorf("%s.name: required", field)
	}
	if !namePattern.MatchString(cs.Name) {
		return nil, fmt.Errorf("%s.name: %q is not a valid SageMaker name (letters, digits and hyphens, up to 63)", field, cs.Name)
	}
	if _, dup := l.st.endpointConfigs[cs.Name]; dup {
		return nil, fmt.Errorf("%s.name: duplicate endpoint config %q", field, cs.Name)
	}
	if len(cs.Variants) == 0 {
		return nil, fmt.Errorf("%s.variants: at least one variant is required", field)
	}
	cfg := &endpointConfig{name: cs.Name, arn: l.arn("endpoint-config", cs.Name), created: created, roleArn: cs.ExecutionRole}
	var err error
	if cfg.variants, err = l.variants(field+".variants", cs.Name, cs.Variants, created, cs.Tags, cs.ExecutionRole != ""); err != nil {
		return nil, err
	}
	if cfg.shadow, err = l.variants(field+".shadowVariants", cs.Name, cs.ShadowVariants, created, cs.Tags, cs.ExecutionRole != ""); err != nil {
		return nil, err
	}
	if a := cs.Async; a != nil {
		if !strings.HasPrefix(a.OutputPath, "s3://") {
			return nil, fmt.Errorf("%s.async.outputPath: must be an s3:// URI", field)
		}
		for _, v := range cfg.variants {
			if v.ServerlessConfig != nil {
				return nil, fmt.Errorf("%s.async: async inference is not supported on serverless variants", field)
			}
		}
		cfg.async = &smtypes.AsyncInferenceConfig{OutputConfig: &smtypes.AsyncInferenceOutputConfig{S3OutputPath: aws.String(a.OutputPath)}}
		if a.MaxConcurrentInvocationsPerInstance > 0 {
			cfg.async.ClientConfig = &smtypes.AsyncInferenceClientConfig{MaxConcurrentInvocationsPerInstance: aws.Int32(a.MaxConcurrentInvocationsPerInstance)}
		}
	}
	if cs.DataCapture != "" {
		cfg.dataCapture = &smtypes.DataCaptureConfig{
			EnableCapture: aws.Bool(true), InitialSamplingPercentage: aws.Int32(100), DestinationS3Uri: aws.String(cs.DataCapture),
			CaptureOptions: []smtypes.CaptureOption{{CaptureMode: smtypes.CaptureModeInput}, {CaptureMode: smtypes.CaptureModeOutput}},
		}
	}
	l.st.endpointConfigs[cs.Name] = cfg
	return cfg, l.tag(field, cfg.arn, cs.Tags)
}

func loadEndpoints(r *Region, rs RegionScenario, now time.Time, path string) error {
	l := &regionLoader{r: r, st: r.SageMaker, now: now, path: path}
	for i, ms := range rs.Models {
		field := fmt.Sprintf("%s.models[%d]", path, i)
		age, err := ms.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		images := ms.Images
		if ms.Image != "" {
			images = append([]string{ms.Image}, images...)
		}
		if err := l.addModel(field, ms.Name, images, ms.ModelDataURL, now.Add(-age), ms.Tags); err != nil {
			return err
		}
	}
	for i, cs := range rs.EndpointConfigs {
		field := fmt.Sprintf("%s.endpointConfigs[%d]", path, i)
		age, err := cs.Age.Duration()
		if err != nil {
			return fmt.Errorf("%s.age: %w", field, err)
		}
		if _, err := l.addConfig(field, cs, now.Add(-age)); err != nil {
			return err
		}
	}
	for i, es := range rs.Endpoints {
		if err := l.addEndpoint(fmt.Sprintf("%s.endpoints[%d]", path, i), es); err != nil {
			return err
		}
	}
	return nil
}

func (l *regionLoader) addEndpoint(field string, es EndpointScenario) error {
	if es.Name == "" {
		return fmt.Errorf("%s.name: required", field)
	}
	if !namePattern.MatchString(es.Name) {
		return fmt.Errorf("%s.name: %q is not a valid SageMaker name (letters, digits and hyphens, up to 63)", field, es.Name)
	}
	if _, dup := l.st.endpoints[es.Name]; dup {
		return fmt.Errorf("%s.name: duplicate endpoint %q", field, es.Name)
	}
	age, err := es.Age.Duration()
	if err != nil {
		return fmt.Errorf("%s.age: %w", field, err)
	}
	created := l.now.Add(-age)
	var cfg *endpointConfig
	switch {
	case es.Config != "" && (len(es.Variants) > 0 || es.Async != nil):
		return fmt.Errorf("%s: give config or inline variants, not both", field)
	case es.Config != "":
		c, ok := l.st.endpointConfigs[es.Config]
		if !ok {
			return fmt.Errorf("%s.config: no endpoint config %q in this region", field, es.Config)
		}
		cfg = c
	default:
		if cfg, err = l.addConfig(field, EndpointConfigScenario{
			Name: es.Name, Variants: es.Variants, ShadowVariants: es.ShadowVariants, Async: es.Async,
			DataCapture: es.DataCapture, ExecutionRole: es.ExecutionRole, Tags: es.Tags,
		}, created); err != nil {
			return err
		}
	}
	status := es.Status
	if status == "" {
		status = "InService"
	}
	switch status {
	case "InService", "Creating", "Updating", "Failed", "OutOfService":
	default:
		return fmt.Errorf("%s.status: %q is not one of InService, Creating, Updating, Failed, OutOfService", field, status)
	}
	e := &endpoint{name: es.Name, arn: l.arn("endpoint", es.Name), config: cfg.name, status: status, created: created, failureReason: es.FailureReason}
	lastMo := created.Add(endpointCreateDuration)
	if es.LastModified != "" {
		d, err := es.LastModified.Duration()
		if err != nil {
			return fmt.Errorf("%s.lastModified: %w", field, err)
		}
		lastMo = l.now.Add(-d)
	}
	if lastMo.After(l.now) {
		lastMo = l.now
	}
	if lastMo.Before(created) {
		return fmt.Errorf("%s.lastModified: before the endpoint's creation (age %s)", field, es.Age)
	}
	e.lastMo = lastMo
	switch status {
	case "Creating":
		e.lastMo = created
		e.pending = pendingConfig(l.st, cfg)
		e.next = &transition{to: "InService", at: maxTime(l.now, created.Add(endpointCreateDuration))}
	case "Failed":
		if e.failureReason == "" {
			e.failureReason = "The primary container for production variant " + aws.ToString(cfg.variants[0].VariantName) + " did not pass the ping health check. Please check CloudWatch logs for this endpoint."
		}
	default:
		e.variants = cfg.runVariants(cfg.variants, l.st.models)
		e.shadow = cfg.runVariants(cfg.shadow, l.st.models)
		e.async, e.dataCapture = cfg.async, cfg.dataCapture
		for _, v := range append(append([]*variant(nil), e.variants...), e.shadow...) {
			v.current, v.currentWeight, v.resolvedAt = v.desired, v.desiredWeight, created.Add(endpointCreateDuration/2)
		}
		if status == "Updating" {
			e.next = &transition{to: "InService", at: l.now.Add(endpointUpdateDuration)}
		}
	}
	if e.next != nil {
		l.st.hosting.schedule(e.next.at)
	}
	l.st.endpoints[e.name] = e
	if err := l.tag(field, e.arn, es.Tags); err != nil {
		return err
	}
	for i, as := range es.Autoscaling {
		if err := l.addScaling(fmt.Sprintf("%s.autoscaling[%d]", field, i), e, as); err != nil {
			return err
		}
	}
	for i, ics := range es.InferenceComponents {
		if err := l.addComponent(fmt.Sprintf("%s.inferenceComponents[%d]", field, i), e, ics); err != nil {
			return err
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (l *regionLoader) addScaling(field string, e *endpoint, as ScalingScenario) error {
	v := e.variant(as.Variant)
	if v == nil {
		return fmt.Errorf("%s.variant: endpoint %s has no (deployed) variant %q", field, e.name, as.Variant)
	}
	if v.serverless != nil {
		return fmt.Errorf("%s.variant: %q is serverless; only instance variants scale on DesiredInstanceCount", field, as.Variant)
	}
	if burstable(v.instanceType) {
		return fmt.Errorf("%s.variant: %s instances are burstable and cannot be scalable targets", field, v.instanceType)
	}
	if as.Min < 0 || as.Max < as.Min {
		return fmt.Errorf("%s: need 0 <= min <= max", field)
	}
	k := scalingKey{"sagemaker", variantResourceID(e.name, v.name), variantDimension}
	a := l.r.AutoScaling
	a.put(&scalableTarget{
		key: k, arn: scalableTargetARN(l.r.Name, l.r.AccountID, k), min: as.Min, max: as.Max, created: e.created.Add(endpointCreateDuration),
		roleArn: fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", l.r.AccountID),
	})
	names := map[string]bool{}
	for i, ps := range as.Policies {
		f := fmt.Sprintf("%s.policies[%d]", field, i)
		if ps.Name == "" || names[ps.Name] {
			return fmt.Errorf("%s.name: required and unique per variant", f)
		}
		names[ps.Name] = true
		p := &scalingPolicy{key: k, name: ps.Name, arn: scalingPolicyARN(l.r.Name, l.r.AccountID, k, ps.Name), created: e.created.Add(endpointCreateDuration)}
		if ps.TargetValue > 0 {
			metric := ps.Metric
			if metric == "" {
				metric = string(aastypes.MetricTypeSageMakerVariantInvocationsPerInstance)
			}
			if !isOneOf(metric, sageMakerMetrics) {
				return fmt.Errorf("%s.metric: %q is not a SageMaker predefined metric (%v)", f, metric, sageMakerMetrics)
			}
			in, out := ps.ScaleInCooldown, ps.ScaleOutCooldown
			if in == 0 {
				in = 300
			}
			if out == 0 {
				out = 300
			}
			p.typ = aastypes.PolicyTypeTargetTrackingScaling
			p.target = &aastypes.TargetTrackingScalingPolicyConfiguration{
				TargetValue:                   aws.Float64(ps.TargetValue),
				PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricType(metric)},
				ScaleInCooldown:               aws.Int32(in), ScaleOutCooldown: aws.Int32(out), DisableScaleIn: aws.Bool(false),
			}
			p.alarms = targetTrackingAlarms(l.r.Name, l.r.AccountID, k, ps.Name)
		} else {
			step := ps.StepAdjustment
			if step == 0 {
				step = 1
			}
			p.typ = aastypes.PolicyTypeStepScaling
			p.step = &aastypes.StepScalingPolicyConfiguration{
				AdjustmentType: aastypes.AdjustmentTypeChangeInCapacity, Cooldown: aws.Int32(300),
				MetricAggregationType: aastypes.MetricAggregationTypeAverage,
				StepAdjustments:       []aastypes.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(step)}},
			}
		}
		if a.policies[k] == nil {
			a.policies[k] = map[string]*scalingPolicy{}
		}
		a.policies[k][p.name] = p
	}
	return nil
}

func (l *regionLoader) addComponent(field string, e *endpoint, ics InferenceComponentScenario) error {
	if ics.Name == "" || !namePattern.MatchString(ics.Name) {
		return fmt.Errorf("%s.name: required, letters, digits and hyphens", field)
	}
	h := &l.st.hosting
	if h.components == nil {
		h.components = map[string]*inferenceComponent{}
	}
	if _, dup := h.components[ics.Name]; dup {
		return fmt.Errorf("%s.name: duplicate inference component %q", field, ics.Name)
	}
	vname := ics.Variant
	if vname == "" && len(e.variants) > 0 {
		vname = e.variants[0].name
	}
	v := e.variant(vname)
	if v == nil || v.model != "" {
		return fmt.Errorf("%s.variant: endpoint %s has no model-less variant %q to host inference components (give the endpoint an executionRole and variants without image or model)", field, e.name, vname)
	}
	age, err := ics.Age.Duration()
	if err != nil {
		return fmt.Errorf("%s.age: %w", field, err)
	}
	ic := &inferenceComponent{
		name: ics.Name, arn: l.arn("inference-component", ics.Name), endpoint: e.name, endpointArn: e.arn, variant: v.name,
		copies: 1, status: "InService", created: l.now.Add(-age),
	}
	ic.lastMo = ic.created
	if ics.Copies > 0 {
		ic.copies = ics.Copies
	}
	ic.current = ic.copies
	req := &smtypes.InferenceComponentComputeResourceRequirements{MinMemoryRequiredInMb: aws.Int32(1024)}
	if ics.MemoryMB > 0 {
		req.MinMemoryRequiredInMb = aws.Int32(ics.MemoryMB)
	}
	if ics.CPUs > 0 {
		req.NumberOfCpuCoresRequired = aws.Float32(ics.CPUs)
	}
	if ics.GPUs > 0 {
		req.NumberOfAcceleratorDevicesRequired = aws.Float32(ics.GPUs)
	}
	ic.spec.ComputeResourceRequirements = req
	switch {
	case ics.Model != "":
		m, ok := l.st.models[ics.Model]
		if !ok {
			return fmt.Errorf("%s.model: no model %q in this region", field, ics.Model)
		}
		ic.spec.ModelName = aws.String(m.name)
		ic.images = m.images()
	case ics.Image != "":
		ic.spec.Container = &smtypes.InferenceComponentContainerSpecification{Image: aws.String(ics.Image)}
		ic.images = []string{ics.Image}
	default:
		return fmt.Errorf("%s: model or image is required", field)
	}
	h.components[ic.name] = ic
	return nil
}

package emulator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
)

func TestSearchTrainingAndTuningJobs(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: sagesaver.io/v1alpha1\nkind: Scenario\nnow: 2026-11-25T12:00:00Z\naccounts:\n- id: \"123456789012\"\n  regions:\n    us-east-1:\n      trainingJobs:\n")
	// 150 jobs, one an hour: every third on spot GPUs for team vision,
	// the last 20 still running.
	for i := 0; i < 150; i++ {
		it, spot, team := "ml.m5.xlarge", false, "growth"
		if i%3 == 0 {
			it, spot, team = "ml.g5.2xlarge", true, "vision"
		}
		fmt.Fprintf(&b, "      - {name: job-%03d, instanceType: %s, spot: %v, age: %dh, duration: 20h, tags: {team: %s}}\n", i, it, spot, 150-i, team)
	}
	b.WriteString("      tuningJobs:\n      - {name: hpo-a, instanceType: ml.c5.xlarge, age: 2h, duration: 5h, maxJobs: 30, maxParallel: 3, tags: {team: risk}}\n      - {name: hpo-b, instanceType: ml.c5.xlarge, age: 9h, duration: 5h, tags: {team: growth}}\n")
	env := emulatortest.Start(t, b.String())
	sm := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	now := env.Emu.Now()

	collect := func(in *sagemaker.SearchInput) ([]smtypes.SearchRecord, int) {
		t.Helper()
		var recs []smtypes.SearchRecord
		pages := 0
		p := sagemaker.NewSearchPaginator(sm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			recs = append(recs, out.Results...)
		}
		return recs, pages
	}

	// The inventory's query: running, or created in the last day.
	recs, pages := collect(&sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeTrainingJob, MaxResults: aws.Int32(100),
		SearchExpression: &smtypes.SearchExpression{
			Operator: smtypes.BooleanOperatorOr,
			Filters: []smtypes.Filter{
				{Name: aws.String("TrainingJobStatus"), Operator: smtypes.OperatorEquals, Value: aws.String("InProgress")},
				{Name: aws.String("CreationTime"), Operator: smtypes.OperatorGreaterThan, Value: aws.String(now.Add(-24 * time.Hour).Format(time.RFC3339))},
			},
		},
	})
	// Jobs run 20 h after a 4-minute startup: the 20 newest are running,
	// and 23 were created less than a day ago.
	if len(recs) != 23 || pages != 1 {
		t.Errorf("running or recent: %d records in %d pages, want 23 in 1", len(recs), pages)
	}

	// Spot GPU jobs of team vision, by name: 50 records over pages of 20.
	recs, pages = collect(&sagemaker.SearchInput{
		Resource: smtypes.ResourceTypeTrainingJob, MaxResults: aws.Int32(20),
		SortBy: aws.String("TrainingJobName"), SortOrder: smtypes.SearchSortOrderAscending,
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			{Name: aws.String("Tags.team"), Operator: smtypes.OperatorEquals, Value: aws.String("vision")},
			{Name: aws.String("ResourceConfig.InstanceType"), Operator: smtypes.OperatorEquals, Value: aws.String("ml.g5.2xlarge")},
			{Name: aws.String("EnableManagedSpotTraining"), Operator: smtypes.OperatorEquals, Value: aws.String("true")},
		}},
	})
	if len(recs) != 50 || pages != 3 {
		t.Fatalf("vision spot jobs: %d records in %d pages, want 50 in 3", len(recs), pages)
	}
	first := recs[0].TrainingJob
	if aws.ToString(first.TrainingJobName) != "job-000" || aws.ToString(recs[49].TrainingJob.TrainingJobName) != "job-147" {
		t.Errorf("order: %s ... %s", aws.ToString(first.TrainingJobName), aws.ToString(recs[49].TrainingJob.TrainingJobName))
	}
	// A record carries the DescribeTrainingJob shape and the tags.
	if first.TrainingJobStatus != smtypes.TrainingJobStatusCompleted || first.ResourceConfig.InstanceType != smtypes.TrainingInstanceTypeMlG52xlarge ||
		!aws.ToBool(first.EnableManagedSpotTraining) || aws.ToInt32(first.TrainingTimeInSeconds) != 20*3600 ||
		aws.ToInt32(first.BillableTimeInSeconds) != 20*3600*30/100 || first.AlgorithmSpecification == nil || first.TrainingStartTime == nil {
		t.Errorf("record = %+v", first)
	}
	if diff := cmp.Diff([]string{"team=vision"}, tagStrings(first.Tags)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	// Billable time is searchable: completed spot jobs billed under 12 hours.
	recs, _ = collect(&sagemaker.SearchInput{Resource: smtypes.ResourceTypeTrainingJob, MaxResults: aws.Int32(100),
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			{Name: aws.String("BillableTimeInSeconds"), Operator: smtypes.OperatorLessThan, Value: aws.String("43200")},
		}}})
	for _, r := range recs {
		if !aws.ToBool(r.TrainingJob.EnableManagedSpotTraining) || r.TrainingJob.TrainingJobStatus != smtypes.TrainingJobStatusCompleted {
			t.Errorf("billable < 12 h: %s spot=%v %s", aws.ToString(r.TrainingJob.TrainingJobName), aws.ToBool(r.TrainingJob.EnableManagedSpotTraining), r.TrainingJob.TrainingJobStatus)
		}
	}
	if len(recs) == 0 {
		t.Error("no completed spot job found by billable time")
	}

	recs, _ = collect(&sagemaker.SearchInput{Resource: smtypes.ResourceTypeHyperParameterTuningJob,
		SortBy: aws.String("CreationTime"), SortOrder: smtypes.SearchSortOrderDescending})
	var tuning []string
	for _, r := range recs {
		h := r.HyperParameterTuningJob
		tuning = append(tuning, aws.ToString(h.HyperParameterTuningJobName)+"="+string(h.HyperParameterTuningJobStatus)+" "+strings.Join(tagStrings(h.Tags), ","))
	}
	if diff := cmp.Diff([]string{"hpo-a=InProgress team=risk", "hpo-b=Completed team=growth"}, tuning); diff != "" {
		t.Errorf("tuning jobs (-want +got):\n%s", diff)
	}
	if h := recs[0].HyperParameterTuningJob; h.TrainingJobDefinition.ResourceConfig.InstanceType != smtypes.TrainingInstanceTypeMlC5Xlarge ||
		aws.ToInt32(h.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs) != 30 || aws.ToInt32(h.TrainingJobStatusCounters.InProgress) != 3 {
		t.Errorf("hpo-a record = %+v", h)
	}
	recs, _ = collect(&sagemaker.SearchInput{Resource: smtypes.ResourceTypeHyperParameterTuningJob,
		SearchExpression: &smtypes.SearchExpression{Filters: []smtypes.Filter{
			{Name: aws.String("TrainingJobDefinition.ResourceConfig.InstanceType"), Operator: smtypes.OperatorEquals, Value: aws.String("ml.c5.xlarge")},
			{Name: aws.String("HyperParameterTuningJobStatus"), Operator: smtypes.OperatorNotEquals, Value: aws.String("InProgress")},
		}}})
	if len(recs) != 1 || aws.ToString(recs[0].HyperParameterTuningJob.HyperParameterTuningJobName) != "hpo-b" {
		t.Errorf("tuning filter: %d records", len(recs))
	}
	_, err := sm.Search(ctx, &sagemaker.SearchInput{Resource: smtypes.ResourceTypeTrainingJob, SearchExpression: &smtypes.SearchExpression{
		Filters: []smtypes.Filter{{Name: aws.String("NoSuchProperty"), Operator: smtypes.OperatorEquals, Value: aws.String("x")}},
	}})
	if code, _ := apiCode(t, err); code != "ValidationException" {
		t.Errorf("unknown property: %s", code)
	}
}

func tagStrings(tags []smtypes.Tag) []string {
	out := []string{}
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

// Package remote runs the pipeline's stages on Temporal: a season or an
// archive on many machines, with the same stage code and the same artifact
// layout as the desktop's own engine (package job), which stays the
// default for one machine. Only the driver differs.
//
// The mapping, and why:
//   - One workflow per episode, id "castscope/{episode_key}"
//     (EpisodeWorkflow): it runs the job's stages in order, one activity
//     each, and answers the "progress" query with the stages as job.Stage
//     records. Submitting an episode whose workflow runs attaches to it
//     (Client.Submit): Temporal's id conflict policy decides, so two
//     submitters cannot start two.
//   - Activities are the stage bodies themselves (job.StageDef.Run) behind
//     a job.Reporter whose progress and checkpoint are the activity's
//     heartbeat details (Heartbeat). A worker that dies stops
//     heartbeating; after the heartbeat timeout (the local stall limit)
//     Temporal retries the activity, on any worker, with the last details:
//     detect resumes after its last durable Parquet part. Heartbeat details
//     reach the server up to a throttle interval late, so the worker also
//     writes each checkpoint to the shared folder before SaveCheckpoint
//     returns (Checkpoints), and a retry takes that copy: durable as the
//     local engine's. (For detect the parts are the truth anyway; the
//     checkpoint says "this job wrote them", see package pipeline.)
//   - Retries follow the local backoff (job.RetryPolicy → RetryPolicy);
//     errors job.IsPermanent calls permanent are non-retryable, their
//     error type the typed code (ERR_VIDEO_UNREADABLE…), so the workflow
//     fails at once with that code.
//   - Detect runs on the "gpu" task queue, every other stage on "cpu", the
//     workflows on their own queue that every worker serves. Payloads are
//     the episode record, small settings and results, and paths relative
//     to the shared folder; never frames or embeddings.
//   - The desktop stays the registry: it submits with what the stages read
//     of it (the episode, the curation log, the cast list written beside
//     the artifacts), and mirrors the workflow's state into its own jobs
//     (service), so inspect tells the truth about a remote run.
//
// This package imports job's types and the Temporal SDK, never pipeline or
// vision code: the worker is handed the stage definitions (Build).
package remote

import (
	"encoding/json"
	"strings"
	"time"

	"castscope/backend/job"
)

// Names shared by workers and submitters.
const (
	WorkflowName  = "castscope.episode"
	QueryProgress = "progress"
	// Task queues: workflows (every worker), cpu stages, gpu stages.
	QueueWorkflows = "castscope-workflows"
	QueueCPU       = "castscope-cpu"
	QueueGPU       = "castscope-gpu"
	// DefaultNamespace is the namespace when none is named.
	DefaultNamespace = "default"
)

// GPUStages run on the gpu queue; every other stage runs on cpu.
var GPUStages = map[string]bool{"detect": true}

// QueueOf returns the task queue of a stage.
func QueueOf(stage string) string {
	if GPUStages[stage] {
		return QueueGPU
	}
	return QueueCPU
}

// WorkflowID is the id of an episode's workflow.
func WorkflowID(key string) string { return "castscope/" + key }

// ActivityName is the activity type of a stage.
func ActivityName(stage string) string { return "castscope." + stage }

// stageOfActivity is ActivityName's inverse ("" when not one of ours).
func stageOfActivity(name string) string {
	s, ok := strings.CutPrefix(name, "castscope.")
	if !ok {
		return ""
	}
	return s
}

// Driver is the job.Job.Driver of a job run on the Temporal server at
// addr in namespace ns.
func Driver(addr, ns string) string {
	if ns == "" {
		ns = DefaultNamespace
	}
	return "temporal " + addr + "/" + ns
}

// ParseDriver splits a Driver string ("", "", false when it is not one).
func ParseDriver(d string) (addr, ns string, ok bool) {
	rest, ok := strings.CutPrefix(d, "temporal ")
	if !ok {
		return "", "", false
	}
	addr, ns, ok = strings.Cut(rest, "/")
	return addr, ns, ok && addr != ""
}

// Input starts an episode's workflow.
type Input struct {
	JobID      string          `json:"job_id"`
	EpisodeKey string          `json:"episode_key"`
	Mode       string          `json:"mode"`
	Stages     []string        `json:"stages"`
	Settings   json.RawMessage `json:"settings,omitempty"`
	Rerun      bool            `json:"rerun,omitempty"`
	// Episode is the registry's record of the episode (episode.Episode
	// as JSON: paths and the probe, a few hundred bytes); Context is the
	// rest of what the stages read of the registry (see the service).
	Episode json.RawMessage `json:"episode"`
	Context json.RawMessage `json:"context,omitempty"`
	// LastFingerprints are the fingerprints of the runs that produced the
	// episode's current outputs, per stage: with them a stage whose
	// outputs are whole and inputs unchanged is skipped, as locally.
	LastFingerprints map[string]string `json:"last_fingerprints,omitempty"`
	Retry            job.RetryPolicy   `json:"retry"`
	// HeartbeatTimeout is how long a stage may go without a heartbeat
	// before Temporal counts its attempt as failed (the local stall limit).
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout"`
}

// StageInput is one stage activity's argument.
type StageInput struct {
	JobID           string          `json:"job_id"`
	EpisodeKey      string          `json:"episode_key"`
	Mode            string          `json:"mode"`
	Stage           string          `json:"stage"`
	Settings        json.RawMessage `json:"settings,omitempty"`
	Rerun           bool            `json:"rerun,omitempty"`
	Episode         json.RawMessage `json:"episode"`
	Context         json.RawMessage `json:"context,omitempty"`
	LastFingerprint string          `json:"last_fingerprint,omitempty"`
}

// Job is the job.Job a stage body sees.
func (in StageInput) Job() job.Job {
	return job.Job{ID: in.JobID, EpisodeKey: in.EpisodeKey, Mode: in.Mode, Settings: in.Settings, Rerun: in.Rerun,
		Stages: []job.Stage{{Name: in.Stage, Status: job.StatusRunning}}}
}

// StageOutcome is a stage activity's result when it did not fail.
type StageOutcome struct {
	Status      job.Status      `json:"status"` // ok | skipped
	Result      json.RawMessage `json:"result,omitempty"`
	SkipReason  string          `json:"skip_reason,omitempty"`
	Fingerprint string          `json:"fingerprint,omitempty"`
	// Episode is the episode record after the stage when the stage changed
	// it (validate stores the probe); nil otherwise.
	Episode json.RawMessage `json:"episode,omitempty"`
	Worker  string          `json:"worker,omitempty"`
	// StartedAt is when this attempt started on its worker (the time
	// spent waiting for a free worker is not the stage's).
	StartedAt time.Time `json:"started_at,omitzero"`
}

// Heartbeat is a stage activity's heartbeat details: the checkpoint the
// next attempt resumes from, and the progress the submitter shows.
type Heartbeat struct {
	Checkpoint json.RawMessage `json:"checkpoint,omitempty"`
	Progress   job.Progress    `json:"progress"`
}

// Progress is the workflow's state: the "progress" query's answer and the
// workflow's result (also carried by its failure).
type Progress struct {
	JobID      string      `json:"job_id"`
	EpisodeKey string      `json:"episode_key"`
	Stages     []job.Stage `json:"stages"`
	// Episode is the newest episode record (after validate's probe).
	Episode json.RawMessage `json:"episode,omitempty"`
	Done    bool            `json:"done"`
}

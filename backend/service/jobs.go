package service

import (
	"castscope/backend/job"
	"castscope/backend/pipeline"
)

// The jobs the service runs, as its callers (the app, the command line)
// see them: the engine's types under the service's name, so that no
// caller reaches into the engine.
type (
	Job    = job.Job
	Event  = job.Event
	Status = job.Status
)

// A stage's or job's status.
const (
	StatusPending  = job.StatusPending
	StatusRunning  = job.StatusRunning
	StatusRetrying = job.StatusRetrying
	StatusOK       = job.StatusOK
	StatusSkipped  = job.StatusSkipped
	StatusCanceled = job.StatusCanceled
	StatusError    = job.StatusError
)

// SelectStages turns a user's stage list into the stages' names in
// pipeline order: empty → every stage; "detect+" → detect and every stage
// after it; an unknown stage is an error.
func SelectStages(stages []string) ([]string, error) { return pipeline.Select(stages) }

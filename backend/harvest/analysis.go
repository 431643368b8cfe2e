package harvest

// TrackRow is one face track of tracks.parquet. The per-detection lists
// (Frames, PTSms, DetIDs, Scores; Boxes as x1,y1,x2,y2 per detection) run
// in parallel, in frame order. Embedding is the L2-normalised mean of the
// detections' embeddings (empty when none had one).
type TrackRow struct {
	TrackID     int64     `parquet:"track_id" json:"track_id"`
	StartFrame  int64     `parquet:"start_frame" json:"start_frame"`
	EndFrame    int64     `parquet:"end_frame" json:"end_frame"`
	StartPTSms  int64     `parquet:"start_pts_ms" json:"start_pts_ms"`
	EndPTSms    int64     `parquet:"end_pts_ms" json:"end_pts_ms"`
	Frames      []int64   `parquet:"frames" json:"frames"`
	PTSms       []int64   `parquet:"pts_ms" json:"pts_ms"`
	DetIDs      []int64   `parquet:"det_ids" json:"det_ids"`
	Boxes       []float32 `parquet:"boxes" json:"boxes"`
	Scores      []float32 `parquet:"scores" json:"scores"`
	Embedding   []float32 `parquet:"embedding" json:"embedding"`
	Quality     float32   `parquet:"quality" json:"quality"`
	MeanScore   float32   `parquet:"mean_score" json:"mean_score"`
	MedianFaceH float32   `parquet:"median_face_h" json:"median_face_h"`
	Yaws        []float32 `parquet:"yaws" json:"yaws"`         // per detection, track.PoseOf; −1 unknown
	NonFace     float32   `parquet:"non_face" json:"non_face"` // track.Track.NonFace
	Shot        int32     `parquet:"shot" json:"shot"`         // 1-based; 0 unknown
	Changed     bool      `parquet:"changed" json:"changed"`   // track.Track.Changed
}

// IdentityRow is one person of identities.parquet. Tracks in no identity
// (background faces, unclear short tracks) are not rows: they are the
// tracks of tracks.parquet that no row names.
type IdentityRow struct {
	IdentityID     int64     `parquet:"identity_id" json:"identity_id"`
	Person         string    `parquet:"person" json:"person"` // stable curation key ("" if never curated)
	Name           string    `parquet:"name" json:"name"`
	Label          string    `parquet:"label" json:"label"`
	TrackIDs       []int64   `parquet:"track_ids" json:"track_ids"`
	Centroid       []float32 `parquet:"centroid" json:"centroid"`
	Size           int64     `parquet:"size" json:"size"` // tracks
	Detections     int64     `parquet:"detections" json:"detections"`
	Locked         bool      `parquet:"locked" json:"locked"`
	FacebankName   string    `parquet:"facebank_name" json:"facebank_name"`
	FacebankScore  float32   `parquet:"facebank_score" json:"facebank_score"`
	FacebankMargin float32   `parquet:"facebank_margin" json:"facebank_margin"`
	FacebankFile   string    `parquet:"facebank_file" json:"facebank_file"`
	Suggestion     string    `parquet:"suggestion" json:"suggestion"` // identity.Candidate as JSON; "" for none
}

// SegmentRow is one row of segments.parquet (screentime.SegmentRow with
// Parquet names): per identity the durations sum exactly to the report.
type SegmentRow struct {
	IdentityID int64  `parquet:"identity_id" json:"identity_id"` // 0: unidentified faces
	Label      string `parquet:"label" json:"label"`
	Index      int32  `parquet:"index" json:"index"`
	StartMs    int64  `parquet:"start_ms" json:"start_ms"`
	EndMs      int64  `parquet:"end_ms" json:"end_ms"`
}

/// Settings of `emr consume`.
public struct ConsumeOptions: Sendable {
    /// The state file, or with ``stateDirectory`` the directory of task files.
    public var statePath: String
    /// A file per task in this directory instead of one state file (`--state-dir`).
    public var stateDirectory = false
    /// With ``stateDirectory``: threads applying different tasks at once.
    public var workers = 1
    public var groupID = "emr-consumer"
    /// Static group membership (container orchestrators): a restart within the session
    /// timeout gets its partitions back without a rebalance.
    public var instanceID: String?
    /// Most messages per batch (one SQLite transaction).
    public var batchSize = 5_000
    /// Most messages read at a time. With one state file a larger batch is read in several
    /// polls, without waiting, while more is queued: each piece is released once applied, so
    /// memory follows this size and COMMIT (which writes every page the batch touched) the
    /// batch's. With `--state-dir` a batch is one poll (task files are committed before the
    /// next poll, where partitions may move).
    public var pollSize = 5_000
    /// Longest wait for a batch to fill before it is applied.
    public var maxBatchLatencyMs: Int32 = 250
    /// Stop (exit 0) once every assigned partition is processed up to its high watermark and
    /// nothing new arrived for `quietPeriodMs`.
    public var exitWhenCaughtUp = false
    public var quietPeriodMs = 2_000
    public var readmissionWindowDays: Int64 = 7
    /// Values above this size are refused (dead letter) unread.
    public var maxValueBytes = RecordDecoder.defaultMaxValueBytes
    /// When a stored offset is no longer in the log, skip to the log start and record the gap
    /// in the state file instead of stopping.
    public var acceptGap = false
    /// Accept brokers of another Kafka cluster than the one recorded in the state file.
    public var acceptClusterChange = false
    /// With ``exitWhenCaughtUp``: give up (throw) when no broker answered within this time.
    public var connectTimeoutMs = 60_000
    /// `ingested_at` (and the Kafka timestamp) may lie this far in the future, no further.
    public var maxClockSkewMs = RecordDecoder.defaultMaxClockSkewMs
    /// Publish refused records to the dead-letter topic (they are quarantined either way).
    public var publishDeadLetters = true
    /// Present while ready (see ``ConsumeProgress/ready``), removed otherwise.
    public var readyFile: String?
    /// First and longest wait before a batch that could not be written is tried again.
    public var retryBackoffMs = 500
    public var maxRetryBackoffMs = 30_000
    /// Fault injection for crash tests (see ``CommitHold``); nil in production.
    public var commitHold: CommitHold?
    /// Test hook: called on the applying thread after each piece of a batch read in several
    /// polls is applied, with the number of pieces applied so far, before the next poll (a
    /// test moves partitions meanwhile); nil in production.
    public var afterPiece: (@Sendable (_ pieces: Int) -> Void)?

    public init(statePath: String) {
        self.statePath = statePath
    }
}

import Kafka

/// Progress of a running consumer.
public struct ConsumeProgress: Sendable {
    public var totals: BatchOutcome
    public var batches: Int
    public var elapsedSeconds: Double
    public var assigned: Int
    /// Time spent applying batches (SQLite), the rest is waiting for and reading messages.
    public var applySeconds: Double = 0
    /// From the first message received to the end of the last batch applied (excludes joining
    /// the group and idle waiting at the end).
    public var activeSeconds: Double = 0
    /// Brokers reachable, partitions assigned and the state file writable.
    public var ready = false
    /// Why not ready, when not.
    public var notReadyReason = "starting"
    /// Assigned partitions: the state file's next offset and the log end last seen in a fetch
    /// response (refreshed about every second, also while idle).
    public var partitions: [TopicPartition: PartitionPosition] = [:]
    /// With `--state-dir`: records still to replay per partition of a task being restored
    /// (``RestoreTracker``); empty when none is.
    public var restoring: [TopicPartition: Int64] = [:]
    /// With `--state-dir`: the tasks of the assigned partitions, sorted.
    public var tasks: [String] = []
    /// When the loop last went round (a liveness signal).
    public var heartbeat = ContinuousClock.now
    /// Batches that could not be written and were tried again.
    public var retries = 0
    /// Batches rolled back and read again because partitions were revoked while they were
    /// read in several polls.
    public var rolledBack = 0
    /// Where the applied batches' time went, summed.
    public var timings = BatchTimings()
    /// From each record's Kafka timestamp to the commit of the batch that applied it.
    public var latency = LatencyHistogram()
    public var rate: Double { activeSeconds > 0 ? Double(totals.read) / activeSeconds : 0 }
}

/// Where a partition stands: the state file's next offset and the log end.
public struct PartitionPosition: Sendable, Equatable {
    /// nil: never consumed by this state file.
    public var next: Int64?
    /// nil until a fetch response reported it.
    public var high: Int64?
}

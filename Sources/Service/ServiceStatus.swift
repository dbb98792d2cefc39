import Kafka
import Pipeline
import Synchronization

/// What the consume loop last reported, shared (thread-safe) with the HTTP handlers: they read
/// it, never the loop's own objects, so HTTP work never runs on the loop's thread.
public final class ServiceStatus: Sendable {
    /// One partition's position.
    public struct Partition: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// The state file's next offset (nil: never consumed by this state file).
        public var storedOffset: Int64?
        /// The log end as last seen (nil until known).
        public var highWatermark: Int64?
        /// High watermark minus the next offset (the log start when never consumed).
        public var lag: Int64? {
            guard let highWatermark else { return nil }
            return max(0, highWatermark - (storedOffset ?? 0))
        }
    }

    public struct Snapshot: Sendable {
        /// Whether a consume loop runs in this process (`emr serve` has none).
        public var consuming = false
        public var ready = false
        public var reason = "starting"
        public var group: String?
        public var partitions: [Partition] = []
        public var totals = BatchOutcome()
        public var batches = 0
        public var ratePerSecond = 0.0
        /// Last sign of life of the consume loop.
        public var heartbeat: ContinuousClock.Instant?
        /// With `--state-dir`: the tasks of the assigned partitions, and the records each
        /// partition of a task being restored still has to replay; nil with one state file.
        public var tasks: [String]?
        public var restoring: [TopicPartition: Int64] = [:]
        /// Set once shutdown began: not ready from then on.
        public var stopping = false

        public init() {}
    }

    private let state: Mutex<Snapshot>

    /// How old the loop's heartbeat may be before `/livez` fails: longer than the longest
    /// backoff between retries (30 s) and than a slow batch.
    public static let livenessBound: Duration = .seconds(90)

    public init(_ snapshot: Snapshot = Snapshot()) {
        state = Mutex(snapshot)
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    /// Alive: no consume loop here, or its heartbeat is younger than ``livenessBound``.
    public var liveness: (alive: Bool, reason: String) {
        state.withLock { s in
            guard s.consuming else { return (true, "serving a state file") }
            guard let beat = s.heartbeat else { return (true, "starting") }
            let age = ContinuousClock.now - beat
            return age < Self.livenessBound ? (true, "consume loop alive") : (false, "consume loop silent for \(age.components.seconds) s")
        }
    }

    /// Records what the consume loop reported.
    public func update(from progress: ConsumeProgress, group: String) {
        update { s in
            s.consuming = true
            s.ready = progress.ready
            s.reason = progress.notReadyReason
            s.group = group
            s.totals = progress.totals
            s.batches = progress.batches
            s.ratePerSecond = progress.rate
            s.heartbeat = progress.heartbeat
            if s.tasks != nil {
                s.tasks = progress.tasks
                s.restoring = progress.restoring
            }
            s.partitions = progress.partitions.keys.sorted().map { tp in
                Partition(topic: tp.topic, partition: tp.partition, storedOffset: progress.partitions[tp]?.next, highWatermark: progress.partitions[tp]?.high)
            }
        }
    }

    /// Ready to serve traffic: the loop says so and no shutdown began. `emr serve` is ready as
    /// soon as it answers.
    public var readiness: (ready: Bool, reason: String) {
        state.withLock { s in
            if s.stopping { return (false, "shutting down") }
            if !s.consuming { return (true, "serving a state file") }
            return (s.ready, s.ready ? "ready" : s.reason)
        }
    }
}

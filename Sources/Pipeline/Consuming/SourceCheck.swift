import Kafka
import Logging
import State

/// The state file's offsets belong to another Kafka cluster than the one the brokers are part of.
public struct ClusterChangedError: Error, Sendable, CustomStringConvertible {
    public var statePath: String
    public var recordedClusterID: String
    public var clusterID: String

    public var description: String {
        "\(statePath): its offsets belong to Kafka cluster \(recordedClusterID), but the brokers are cluster \(clusterID). "
            + "Offsets of one cluster mean nothing in another (records would be skipped or read twice). "
            + "Use another --state file, or rerun with --accept-cluster-change if the logs were migrated with their offsets"
    }
}

/// Checks, before any record is applied, that the Kafka log being read is the one the state
/// file's offsets belong to: the same cluster (its id is recorded in the state file at first
/// contact) and, for every newly assigned partition, a stored offset no greater than the log
/// end. A stored offset beyond the log end means the log was replaced (a new broker, a topic
/// deleted and recreated): resuming there would silently skip the new log's records below it.
/// At first contact it also checks that the patient-scoped topics are co-partitioned.
final class SourceCheck {
    static let clusterProperty = "kafka_cluster_id"

    private let acceptClusterChange: Bool
    /// Topics whose records are keyed to a patient's partition number (same count required).
    private let coPartitioned: [String]
    private let logger: Logger
    private var checkedPartitions: Set<TopicPartition> = []
    /// A broker answered and the cluster id was checked (or the cluster reports none).
    private(set) var clusterChecked = false

    init(acceptClusterChange: Bool, coPartitioned: [String], logger: Logger) {
        self.acceptClusterChange = acceptClusterChange
        self.coPartitioned = coPartitioned
        self.logger = logger
    }

    /// True when the cluster and every assigned partition are checked; false when a broker did
    /// not answer yet (try again later, apply nothing meanwhile). A stored offset beyond the
    /// log end goes to `onGaps`, all such partitions at once (it throws, or accepts the gaps and
    /// rewinds).
    func verify(_ consumer: KafkaConsumer, _ session: StateSession, _ book: OffsetBook,
                onGaps: ([OffsetGapError]) throws -> Void) throws -> Bool {
        if !clusterChecked {
            guard let id = consumer.clusterID(timeoutMs: 1_000) ?? (consumer.probeBrokers() ? "" : nil) else { return false }
            try checkCluster(id, session)
            try checkCoPartitioning(consumer)
            clusterChecked = true
        }
        let assigned = Set(consumer.assignment)
        checkedPartitions.formIntersection(assigned)
        let pending = assigned.subtracting(checkedPartitions)
        guard !pending.isEmpty else { return true }
        let stored = book.offsets(for: Array(pending))
        if !stored.isEmpty {
            let ends: [TopicPartition: Int64]
            do {
                ends = try consumer.endOffsets(Array(stored.keys), timeoutMs: 5_000)
            } catch {
                logger.warning("cannot check the log end of \(stored.count) newly assigned partitions yet: \(error)")
                return false
            }
            var gaps: [OffsetGapError] = []
            for (tp, next) in stored.sorted(by: { $0.key < $1.key }) {
                guard let end = ends[tp], next > end else { continue }
                let low = (try? consumer.watermarks(tp).low) ?? 0
                gaps.append(OffsetGapError(partition: tp, storedOffset: next, logStart: low, logEnd: end))
            }
            if !gaps.isEmpty {
                try onGaps(gaps)
                return false
            }
        }
        checkedPartitions.formUnion(pending)
        return true
    }

    /// Throws ``PipelineError/notCoPartitioned(_:)`` unless every patient-scoped topic has the
    /// same partition count in the cluster.
    private func checkCoPartitioning(_ consumer: KafkaConsumer) throws {
        let counts = try coPartitioned.map { PipelineError.PartitionCount(topic: $0, partitions: try consumer.partitionCount(topic: $0, timeoutMs: 5_000)) }
        guard Set(counts.map(\.partitions)).count <= 1 else { throw PipelineError.notCoPartitioned(counts) }
    }

    /// Records the cluster id at first contact; refuses another one unless told.
    private func checkCluster(_ id: String, _ session: StateSession) throws {
        guard !id.isEmpty else {
            logger.warning("the cluster reports no id: cannot check that the state file's offsets belong to it")
            return
        }
        let recorded = try session.property(Self.clusterProperty)
        if recorded == id { return }
        if let recorded {
            guard acceptClusterChange else {
                throw ClusterChangedError(statePath: session.location, recordedClusterID: recorded, clusterID: id)
            }
            logger.warning("Kafka cluster changed from \(recorded) to \(id) (--accept-cluster-change); stored offsets are still checked against the new logs")
        } else {
            logger.info("state file bound to Kafka cluster \(id)")
        }
        try session.setProperty(Self.clusterProperty, id)
    }
}

import Kafka
import Synchronization

/// The next offset to read per partition as committed in the state file, shared (thread-safe)
/// between the consumer loop and the rebalance hook that seeks newly assigned partitions.
public final class OffsetBook: Sendable {
    private let offsets: Mutex<[TopicPartition: Int64]>

    public init(_ stored: [TopicPartition: Int64] = [:]) {
        offsets = Mutex(stored)
    }

    /// Stored offsets of these partitions (partitions never consumed are left out).
    public func offsets(for partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        offsets.withLock { all in partitions.reduce(into: [:]) { out, tp in if let o = all[tp] { out[tp] = o } } }
    }

    /// Where each partition starts reading: its stored offset, or the beginning of the log when
    /// this state file has never consumed it (never the group's committed offset, which may
    /// belong to another state file).
    public func startOffsets(for partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        let stored = offsets(for: partitions)
        return partitions.reduce(into: [:]) { start, tp in start[tp] = stored[tp] ?? KafkaOffset.beginning }
    }

    public func next(_ partition: TopicPartition) -> Int64? { offsets.withLock { $0[partition] } }

    /// Records a committed batch.
    public func advance(_ committed: [TopicPartition: Int64]) {
        offsets.withLock { all in for (tp, o) in committed { all[tp] = max(all[tp] ?? 0, o) } }
    }

    /// Replaces everything with what the state file holds (after reopening it).
    public func reset(to stored: [TopicPartition: Int64]) {
        offsets.withLock { $0 = stored }
    }

    public var all: [TopicPartition: Int64] { offsets.withLock { $0 } }
}

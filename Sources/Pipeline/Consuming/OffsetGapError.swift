import Kafka

/// A stored offset the log no longer has: retention deleted records this state file never saw
/// (or the topic was recreated). The consumer stops rather than skip them silently.
public struct OffsetGapError: Error, Sendable, CustomStringConvertible {
    public var partition: TopicPartition
    public var storedOffset: Int64
    public var logStart: Int64
    public var logEnd: Int64

    public var description: String {
        if storedOffset > logEnd {
            return "\(partition): the state file's next offset \(storedOffset) is beyond the log end \(logEnd) (log start \(logStart)): "
                + "the log was replaced (a new broker or cluster, or the topic deleted and recreated), and resuming at \(storedOffset) would "
                + "silently skip its records \(logStart)..<\(storedOffset). Refusing; rerun with --accept-gap to record this in the state file "
                + "and read the new log from offset \(logStart)"
        }
        return "\(partition): the state file's next offset \(storedOffset) is older than the log start \(logStart): records "
            + "\(storedOffset)..<\(logStart) were deleted before this state file saw them. Refusing to skip them; "
            + "rerun with --accept-gap to record the gap in the state file and continue from offset \(logStart)"
    }
}

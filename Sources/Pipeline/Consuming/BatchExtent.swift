import Kafka

/// What a batch has read so far, for its log lines: how many messages, and the offsets per
/// partition (a batch read in several polls grows with each).
struct BatchExtent: CustomStringConvertible {
    private(set) var count = 0
    private var ranges: [TopicPartition: ClosedRange<Int64>] = [:]

    init(_ messages: [ConsumedMessage]) { add(messages) }

    mutating func add(_ messages: [ConsumedMessage]) {
        count += messages.count
        for m in messages {
            let range = ranges[m.topicPartition]
            ranges[m.topicPartition] = min(range?.lowerBound ?? m.offset, m.offset)...max(range?.upperBound ?? m.offset, m.offset)
        }
    }

    /// `first..last` offsets of each partition (`topic/partition@first..last`), in order.
    var description: String {
        ranges.keys.sorted().map { "\($0)@\(ranges[$0]!.lowerBound)..\(ranges[$0]!.upperBound)" }.joined(separator: ", ")
    }
}

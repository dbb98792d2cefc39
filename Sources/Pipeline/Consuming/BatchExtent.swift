import Kafka

/// What a batch has read so far, for its log lines: how many messages, and the offsets per
/// partition (a batch read in several polls grows with each).
struct BatchExtent: CustomStringConvertible {
    private(set) var count = 0
    private var ranges: [TopicPartition: ClosedRange<Int64>] = [:]

    init(_ messages: [ConsumedMessage]) { add(messages) }

    /// Cheap on the applying thread: a poll returns each partition's messages together, so the
    /// ranges are kept per run of one partition, not per message.
    mutating func add(_ messages: [ConsumedMessage]) {
        count += messages.count
        var start = messages.startIndex
        while start < messages.endIndex {
            let tp = messages[start].topicPartition
            var low = messages[start].offset, high = low
            var end = start + 1
            while end < messages.endIndex, messages[end].partition == tp.partition, messages[end].topic == tp.topic {
                low = min(low, messages[end].offset)
                high = max(high, messages[end].offset)
                end += 1
            }
            let range = ranges[tp]
            ranges[tp] = min(range?.lowerBound ?? low, low)...max(range?.upperBound ?? high, high)
            start = end
        }
    }

    /// `first..last` offsets of each partition (`topic/partition@first..last`), in order.
    var description: String {
        ranges.keys.sorted().map { "\($0)@\(ranges[$0]!.lowerBound)..\(ranges[$0]!.upperBound)" }.joined(separator: ", ")
    }
}

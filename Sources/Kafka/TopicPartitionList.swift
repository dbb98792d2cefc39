import CRdKafka

/// Conversions between `rd_kafka_topic_partition_list_t` and Swift values.
enum TopicPartitionList {
    typealias Native = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    static func read(_ list: Native?) -> [(TopicPartition, Int64)] {
        guard let list else { return [] }
        var result: [(TopicPartition, Int64)] = []
        result.reserveCapacity(Int(list.pointee.cnt))
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            result.append((TopicPartition(String(cString: element.topic), element.partition), element.offset))
        }
        return result
    }

    /// A new native list; the caller destroys it with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ entries: [(TopicPartition, Int64)]) -> Native {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            element.pointee.offset = offset
        }
        return list
    }

    /// Runs `body` with a temporary native list.
    static func with<R>(_ entries: [(TopicPartition, Int64)], _ body: (Native) throws(KafkaError) -> R) throws(KafkaError) -> R {
        let list = make(entries)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return try body(list)
    }

    /// The first per-partition error in a list, if any.
    static func firstError(_ list: Native, context: String) -> KafkaError? {
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            if element.err.isError {
                return KafkaError(.consumer, element.err, "\(context) \(String(cString: element.topic))/\(element.partition)")
            }
        }
        return nil
    }
}

/// Special offsets understood by librdkafka.
public enum KafkaOffset {
    /// The first offset still in the log.
    public static let beginning: Int64 = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// The offset the next produced message will get.
    public static let end: Int64 = Int64(RD_KAFKA_OFFSET_END)
    /// "No offset": use the group's committed offset, else `auto.offset.reset`.
    public static let stored: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)
}

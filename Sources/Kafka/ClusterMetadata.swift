import CRdKafka

/// What the cluster says about one topic.
public struct TopicMetadata: Sendable, Hashable {
    public var name: String
    public var partitionCount: Int32
    /// Replicas of partition 0 (the replication factor in a healthy cluster).
    public var replicationFactor: Int32
    /// A topic-level error from the metadata response (e.g. unknown topic), nil when none.
    public var errorCode: Int32?
}

/// Metadata requests shared by the producer, consumer and admin client.
enum ClusterMetadata {
    /// Metadata of one topic, or of every topic when `topic` is nil.
    static func fetch(_ handle: OpaquePointer, topic: String?, timeoutMs: Int32) throws(KafkaError) -> [TopicMetadata] {
        var topicHandle: OpaquePointer?
        if let topic {
            topicHandle = rd_kafka_topic_new(handle, topic, nil)
        }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, timeoutMs)
        guard !err.isError, let metadata else {
            throw KafkaError(.cluster, err, "metadata request for \(topic ?? "all topics") failed")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [TopicMetadata] = []
        let md = metadata.pointee
        for i in 0..<Int(md.topic_cnt) {
            let t = md.topics[i]
            let name = String(cString: t.topic)
            let replicas = t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0
            result.append(TopicMetadata(
                name: name,
                partitionCount: t.partition_cnt,
                replicationFactor: replicas,
                errorCode: t.err.isError ? t.err.rawValue : nil
            ))
        }
        return result
    }

    /// Partition count of an existing topic; throws when the cluster does not know it.
    static func partitionCount(_ handle: OpaquePointer, topic: String, timeoutMs: Int32) throws(KafkaError) -> Int32 {
        guard let t = try fetch(handle, topic: topic, timeoutMs: timeoutMs).first(where: { $0.name == topic }) else {
            throw KafkaError(.topic, message: "topic \(topic): not in the cluster's metadata")
        }
        if let code = t.errorCode {
            throw KafkaError(.topic, rd_kafka_resp_err_t(rawValue: code), "topic \(topic)")
        }
        return t.partitionCount
    }

    static func watermarks(_ handle: OpaquePointer, _ tp: TopicPartition, timeoutMs: Int32) throws(KafkaError) -> Watermarks {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, tp.topic, tp.partition, &low, &high, timeoutMs)
        if err.isError {
            throw KafkaError(.cluster, err, "watermarks of \(tp)")
        }
        return Watermarks(low: low, high: high)
    }

    /// The log end (high watermark) of several partitions in one ListOffsets round trip per
    /// leader (a watermark query per partition would wait behind each long-poll fetch).
    static func endOffsets(_ handle: OpaquePointer, _ partitions: [TopicPartition], timeoutMs: Int32) throws(KafkaError) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        // A "timestamp" of RD_KAFKA_OFFSET_END asks for the latest offset.
        return try TopicPartitionList.with(partitions.map { ($0, KafkaOffset.end) }) { list throws(KafkaError) in
            let err = rd_kafka_offsets_for_times(handle, list, timeoutMs)
            if err.isError { throw KafkaError(.cluster, err, "log end offsets of \(partitions.count) partitions") }
            if let error = TopicPartitionList.firstError(list, context: "log end offset of") { throw error }
            return Dictionary(uniqueKeysWithValues: TopicPartitionList.read(list))
        }
    }

    /// The id of the cluster the client is connected to (from metadata), nil when no broker
    /// answered within `timeoutMs` or the cluster does not report one.
    static func clusterID(_ handle: OpaquePointer, timeoutMs: Int32) -> String? {
        guard let raw = rd_kafka_clusterid(handle, timeoutMs) else { return nil }
        defer { rd_kafka_mem_free(handle, raw) }
        let id = String(cString: raw)
        return id.isEmpty ? nil : id
    }

    /// Watermarks as last seen in fetch responses (no broker round trip); nil until known.
    static func cachedWatermarks(_ handle: OpaquePointer, _ tp: TopicPartition) -> Watermarks? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(handle, tp.topic, tp.partition, &low, &high)
        guard !err.isError, low >= 0, high >= 0 else { return nil }
        return Watermarks(low: low, high: high)
    }
}

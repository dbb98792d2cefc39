import CRdKafka
import Logging

/// What happened to one declared topic when applying `topics/` to a cluster.
public struct TopicApplyResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case created
        case alreadyMatching
        /// The topic exists with another partition count (replication and configs are not changed).
        case mismatch(actualPartitions: Int32)
        case missing
    }

    public var topic: String
    public var outcome: Outcome
}

/// Cluster administration: create declared topics (CreateTopics) and check them against the
/// cluster's metadata.
public final class KafkaAdmin: Sendable {
    private let client: NativeClient
    private let timeoutMs: Int32

    public init(configuration: KafkaConfiguration, logger: Logger, timeoutMs: Int32 = 15_000) throws(KafkaError) {
        var settings: [(String, String)] = [("bootstrap.servers", configuration.bootstrapServers), ("client.id", "emr-admin")]
        settings += configuration.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.client = try NativeClient(type: RD_KAFKA_PRODUCER, settings: settings, context: ClientContext(logger: logger))
        self.timeoutMs = timeoutMs
    }

    /// Metadata of every topic.
    public func topics() throws(KafkaError) -> [TopicMetadata] {
        try ClusterMetadata.fetch(client.handle, topic: nil, timeoutMs: timeoutMs)
    }

    /// The partition's low and high watermarks.
    public func watermarks(_ partition: TopicPartition) throws(KafkaError) -> Watermarks {
        try ClusterMetadata.watermarks(client.handle, partition, timeoutMs: timeoutMs)
    }

    /// Creates the declared topics that are missing (replication factor and
    /// `min.insync.replicas` capped at the broker count), then verifies all of them.
    public func apply(_ catalog: TopicCatalog) throws(KafkaError) -> [TopicApplyResult] {
        let existing = Set(try topics().map(\.name))
        let brokers = try brokerCount()
        let missing = catalog.topics.filter { !existing.contains($0.name) }
        var created: Set<String> = []
        if !missing.isEmpty {
            try create(missing, brokerCount: brokers)
            created = Set(missing.map(\.name))
        }
        return try verify(catalog).map { result in
            created.contains(result.topic) && result.outcome == .alreadyMatching
                ? TopicApplyResult(topic: result.topic, outcome: .created) : result
        }
    }

    /// Compares the declared partition counts with the cluster's.
    public func verify(_ catalog: TopicCatalog) throws(KafkaError) -> [TopicApplyResult] {
        let actual = Dictionary(try topics().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return catalog.topics.map { declared in
            guard let found = actual[declared.name], found.errorCode == nil else {
                return TopicApplyResult(topic: declared.name, outcome: .missing)
            }
            return TopicApplyResult(
                topic: declared.name,
                outcome: found.partitionCount == declared.partitions ? .alreadyMatching : .mismatch(actualPartitions: found.partitionCount)
            )
        }
    }

    private func brokerCount() throws(KafkaError) -> Int32 {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(client.handle, 0, nil, &metadata, timeoutMs)
        guard !err.isError, let metadata else { throw KafkaError(.cluster, err, "metadata request failed") }
        defer { rd_kafka_metadata_destroy(metadata) }
        return metadata.pointee.broker_cnt
    }

    private func create(_ declarations: [TopicDeclaration], brokerCount: Int32) throws(KafkaError) {
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for declaration in declarations {
            let replication = min(declaration.replicationFactor, max(brokerCount, 1))
            guard let topic = rd_kafka_NewTopic_new(declaration.name, declaration.partitions, replication, &errstr, errstr.count) else {
                throw KafkaError(.topic, message: "\(declaration.file): \(String(cBuffer: errstr))")
            }
            newTopics.append(topic)
            for (name, declared) in declaration.configs.sorted(by: { $0.key < $1.key }) {
                // Capped like the replication factor: on a one-node cluster (docker compose) a
                // topic needing 2 in-sync replicas of 1 would refuse every acks=all write.
                let value = name == "min.insync.replicas" ? String(min(Int32(declared) ?? 1, replication)) : declared
                let err = rd_kafka_NewTopic_set_config(topic, name, value)
                if err.isError { throw KafkaError(.topic, err, "\(declaration.file): config \(name)=\(value)") }
            }
        }
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
        rd_kafka_CreateTopics(client.handle, &newTopics, newTopics.count, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 5_000) else {
            throw KafkaError(.topic, message: "CreateTopics: no answer within \(timeoutMs + 5_000) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventErr = rd_kafka_event_error(event)
        if eventErr.isError {
            throw KafkaError(.topic, eventErr, "CreateTopics failed: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(.topic, message: "CreateTopics: unexpected event type")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let err = rd_kafka_topic_result_error(results[i])
            if err.isError && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(results[i]))
                let message = rd_kafka_topic_result_error_string(results[i]).map { String(cString: $0) } ?? ""
                throw KafkaError(.topic, err, "creating topic \(name) failed: \(message)")
            }
        }
    }
}

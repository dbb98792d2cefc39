import CRdKafka
import Logging

/// A Kafka-protocol cluster inside this process (librdkafka's mock cluster), listening on
/// loopback TCP, for development, tests and the demo.
///
/// Limits of the mock (librdkafka 2.0.2): no CreateTopics (declare topics with
/// ``createTopics(_:)`` before clients connect; unknown topics are auto-created with 4
/// partitions), about 5 MiB kept per partition (older messages are dropped silently),
/// transactions are no-ops, and a dead member's partitions are reassigned only after its
/// session timeout.
public final class EmbeddedBroker: Sendable {
    private let host: NativeClient
    private let cluster: MockClusterHandle
    /// Number of brokers in the cluster (ids 1...brokerCount).
    public let brokerCount: Int32

    public init(brokers: Int32 = 1, logger: Logger) throws(KafkaError) {
        guard (1...3).contains(brokers) else {
            throw KafkaError(.embeddedBroker, message: "the embedded broker supports 1 to 3 brokers, not \(brokers)")
        }
        // The mock cluster lives inside a client handle of its own.
        self.host = try NativeClient(type: RD_KAFKA_PRODUCER, settings: [("client.id", "emr-embedded-broker"), ("log_level", "3")],
                                     context: ClientContext(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(host.handle, brokers) else {
            throw KafkaError(.embeddedBroker, message: "cannot start the embedded broker (rd_kafka_mock_cluster_new failed)")
        }
        self.cluster = MockClusterHandle(raw: cluster)
        self.brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.raw)
    }

    /// `host:port` list to give clients as `bootstrap.servers`.
    public var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster.raw))
    }

    /// Creates a topic (replication factor capped at the broker count).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster.raw, name, partitions, min(replicationFactor, brokerCount))
        if err.isError { throw KafkaError(.embeddedBroker, err, "creating topic \(name)") }
    }

    /// Creates every declared topic.
    public func createTopics(_ catalog: TopicCatalog) throws(KafkaError) {
        for topic in catalog.topics {
            try createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor)
        }
    }

    /// Takes a broker offline: connections close and new ones are refused (fault injection).
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_down(cluster.raw, id)
        if err.isError { throw KafkaError(.embeddedBroker, err, "setting broker \(id) down") }
    }

    /// Brings a broker back online.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_up(cluster.raw, id)
        if err.isError { throw KafkaError(.embeddedBroker, err, "setting broker \(id) up") }
    }

    /// Makes the next `errors.count` requests of a Kafka API (e.g. ``KafkaAPI/produce``)
    /// fail with these error codes, in order (fault injection).
    public func pushRequestErrors(api: KafkaAPI, errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster.raw, api.rawValue, codes.count, &codes)
    }
}

/// Kafka protocol API keys used for fault injection.
public enum KafkaAPI: Int16, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case syncGroup = 14
    case initProducerID = 22
}

/// Kafka protocol error codes used in tests and fault injection.
public enum KafkaErrorCode {
    public static let notLeaderForPartition: Int32 = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
    public static let requestTimedOut: Int32 = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
    public static let messageTooLarge: Int32 = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
    public static let invalidRecord: Int32 = RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue
    public static let notEnoughReplicas: Int32 = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue
}

/// The mock cluster pointer; librdkafka serialises access to it internally.
struct MockClusterHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

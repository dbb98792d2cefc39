import CRdKafka
import Logging
import Synchronization

/// State that librdkafka's callbacks reach through the client's opaque pointer: the logger,
/// errors reported by the client, and the producer's or consumer's own callback target.
///
/// Callbacks run on librdkafka's threads, so everything here is either immutable or guarded.
final class ClientContext: Sendable {
    let logger: Logger
    let delivery: DeliveryTracker?
    let rebalance: RebalanceCoordinator?
    private let state = Mutex(ClientErrorState())

    struct ClientErrorState {
        var fatal: KafkaError?
        var lastError: KafkaError?
        var allBrokersDown = false
    }

    init(logger: Logger, delivery: DeliveryTracker? = nil, rebalance: RebalanceCoordinator? = nil) {
        self.logger = logger
        self.delivery = delivery
        self.rebalance = rebalance
    }

    var fatalError: KafkaError? { state.withLock { $0.fatal } }
    var allBrokersDown: Bool { state.withLock { $0.allBrokersDown } }

    func markBrokersReachable() {
        state.withLock { $0.allBrokersDown = false }
    }

    /// Records an error from librdkafka's error callback.
    func record(error err: rd_kafka_resp_err_t, reason: String, handle: OpaquePointer?) {
        if err == RD_KAFKA_RESP_ERR__FATAL, let handle {
            var buffer = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            let error = KafkaError(.fatal, original, "fatal client error: \(String(cBuffer: buffer))")
            state.withLock { $0.fatal = error; $0.lastError = error }
            logger.critical("\(error.message)")
            return
        }
        let error = KafkaError(.cluster, err, reason)
        state.withLock {
            $0.lastError = error
            if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN { $0.allBrokersDown = true }
        }
        logger.warning("kafka: \(reason) [\(String(cString: rd_kafka_err2name(err)))]")
    }

    /// Routes one librdkafka log line (syslog level) to swift-log.
    func log(level: Int32, facility: String, message: String) {
        let mapped: Logger.Level
        switch level {
        case ...2: mapped = .critical
        case 3: mapped = .error
        case 4: mapped = .warning
        case 5: mapped = .notice
        case 6: mapped = .info
        default: mapped = .debug
        }
        logger.log(level: mapped, "\(message)", metadata: ["rdkafka.facility": .string(facility)])
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

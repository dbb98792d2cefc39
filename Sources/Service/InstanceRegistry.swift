import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// Who else serves this stream: a lifecycle service that announces this instance (its HTTP URL
/// and the tasks it owns, from ``ServiceStatus``) on the instances topic every few seconds and
/// whenever its tasks change, and reads the whole topic (a global table: its own consumer group,
/// from the beginning) to keep the latest announcement of every instance. On shutdown it
/// publishes a tombstone. The cluster view (``ClusterSource``) asks it for the live instances.
public final class InstanceRegistry: Service, Sendable {
    /// Who this instance is: `instance` names it on the topic (nil: its advertised URL, which
    /// no two live instances share).
    public struct Identity: Sendable {
        public var instance: String?
        public var group: String

        public init(instance: String?, group: String) {
            self.instance = instance
            self.group = group
        }
    }

    public let identity: Identity
    let kafka: KafkaConfiguration
    let topic: String
    let status: ServiceStatus
    let logger: Logger
    let announceEvery: Duration
    private let latest = Mutex<[String: InstanceAnnouncement]>([:])
    private let url = Mutex<String?>(nil)

    /// Where this instance's API answers; nothing is announced before it is known (the HTTP
    /// server says its port once it listens).
    public func advertise(url text: String) {
        url.withLock { $0 = text }
    }

    public init(identity: Identity, kafka: KafkaConfiguration, topic: String, status: ServiceStatus, logger: Logger,
                announceEvery: Duration = .seconds(3)) {
        self.identity = identity
        self.kafka = kafka
        self.topic = topic
        self.status = status
        self.logger = logger
        self.announceEvery = announceEvery
    }

    /// The instances announced within ``InstanceAnnouncement/staleAfterMs`` (this one included
    /// once its first announcement came back), sorted by id.
    public func members(nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> [InstanceAnnouncement] {
        latest.withLock { all in
            all.values.filter { nowMs - $0.at < InstanceAnnouncement.staleAfterMs }.sorted { $0.instance < $1.instance }
        }
    }

    public func run() async throws {
        try await BlockingThread.runUntilShutdown(name: "emr-instances") { [self] stop in try loop(until: stop) }
    }

    private func loop(until stop: StopRequest) throws {
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        defer { try? producer.close(timeoutMs: 5_000) }
        var configuration = ConsumerConfiguration(kafka: kafka, groupID: "emr-instances-\(UUID().uuidString)")
        configuration.clientID = "emr-instances"
        configuration.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var key: [UInt8] = []
        var announced: [String]?
        var lastSent = ContinuousClock.now
        while !stop.isRequested {
            let tasks = status.snapshot.tasks ?? []
            if let url = url.withLock({ $0 }), tasks != announced || ContinuousClock.now - lastSent >= announceEvery {
                let name = identity.instance ?? url
                key = Array(name.utf8)
                let announcement = InstanceAnnouncement(instance: name, url: url, group: identity.group, tasks: tasks,
                                                        at: Int64(Date().timeIntervalSince1970 * 1000))
                do {
                    try producer.produce(OutgoingMessage(topic: topic, key: key, value: announcement.encoded))
                    if announced == nil { logger.info("announcing instance \(name) at \(url) on \(topic)") }
                    announced = tasks
                } catch {
                    logger.warning("cannot announce this instance on \(topic) (tried again in \(announceEvery)): \(error)")
                }
                lastSent = .now
            }
            do {
                for message in try consumer.poll(maxMessages: 500, timeoutMs: 200) { record(message) }
            } catch {
                logger.warning("reading \(topic) failed (retrying): \(error)")
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        // Gone: a tombstone, so readers forget this instance before its announcement goes stale.
        if announced != nil {
            try? producer.produce(OutgoingMessage(topic: topic, key: key, value: nil))
            try? producer.flush(timeoutMs: 5_000)
        }
    }

    /// Keeps the latest announcement per instance; a tombstone removes it.
    private func record(_ message: ConsumedMessage) {
        guard let key = message.key.map({ String(decoding: $0, as: UTF8.self) }) else { return }
        latest.withLock { all in
            if let value = message.value, let announcement = InstanceAnnouncement.decode(value), announcement.instance == key {
                all[key] = announcement
            } else if message.value == nil {
                all[key] = nil
            }
        }
    }
}

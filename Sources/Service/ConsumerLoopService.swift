import Foundation
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization

/// The blocking consume loop (``ConsumerService``) as a lifecycle service: it runs on a thread
/// of its own (never on the HTTP event loops or the concurrency pool), reports to
/// ``ServiceStatus`` and ``ServiceMetrics`` as it goes, and on graceful shutdown turns not
/// ready at once, finishes and commits the batch in progress, and returns.
public final class ConsumerLoopService: Service {
    public let options: ConsumeOptions
    let kafka: KafkaConfiguration
    let catalog: TopicCatalog
    let status: ServiceStatus
    let metrics: ServiceMetrics
    let logger: Logger
    /// Called on the loop's thread on every turn (for a progress display).
    let progress: @Sendable (ConsumeProgress) -> Void
    private let outcome = Mutex<(totals: ConsumeProgress?, stoppedOnRequest: Bool)>((nil, false))

    /// The totals of the run once it ended, and whether a shutdown request ended it.
    public var result: (totals: ConsumeProgress?, stoppedOnRequest: Bool) { outcome.withLock { $0 } }

    public init(options: ConsumeOptions, kafka: KafkaConfiguration, catalog: TopicCatalog, status: ServiceStatus, metrics: ServiceMetrics,
                logger: Logger, progress: @escaping @Sendable (ConsumeProgress) -> Void = { _ in }) {
        self.options = options
        self.kafka = kafka
        self.catalog = catalog
        self.status = status
        self.metrics = metrics
        self.logger = logger
        self.progress = progress
    }

    public func run() async throws {
        let (options, kafka, catalog, status, metrics, logger, progress) =
            (self.options, self.kafka, self.catalog, self.status, self.metrics, self.logger, self.progress)
        status.update { s in
            s.consuming = true
            s.group = options.groupID
            if options.stateDirectory { s.tasks = [] }
        }
        // On graceful shutdown: not ready at once; the loop finishes and commits its batch, then returns.
        try await BlockingThread.runUntilShutdown(name: "emr-consume", onShutdown: { status.update { $0.stopping = true } }) { stop in
            do {
                let service = try ConsumerService(options: options, kafka: kafka, catalog: catalog, logger: logger)
                let totals = try service.run(
                    progress: { p in
                        status.update(from: p, group: options.groupID)
                        progress(p)
                    },
                    batchApplied: { outcome, seconds in metrics.batchApplied(outcome, seconds: seconds) },
                    shouldStop: { stop.isRequested })
                self.outcome.withLock { $0 = (totals, stop.isRequested) }
                status.update { $0.ready = false; $0.reason = "consume loop ended" }
            } catch {
                status.update { $0.ready = false; $0.reason = "consume loop failed: \(error)" }
                throw error
            }
        }
    }
}

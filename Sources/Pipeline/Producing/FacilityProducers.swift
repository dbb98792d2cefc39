import Chronology
import Foundation
import Kafka
import Logging
import Synthea

/// Settings of one `emr produce` run.
public struct ProduceOptions: Sendable {
    public var exportDirectory: String
    /// Facilities to publish; nil for every organization in organizations.csv.
    public var facilities: Set<String>?
    public var order: PublishOrder = .eventTime
    public var rate: Double?
    public var speedup: Double?
    public var memoryBudget = 16 << 20
    public var flushTimeoutMs: Int32 = 120_000
    /// Longest CSV record, and whether bytes that are not UTF-8 are refused (default) or replaced.
    public var csvLimits = CSVLimits()

    public init(exportDirectory: String, facilities: Set<String>?) {
        self.exportDirectory = exportDirectory
        self.facilities = facilities
    }
}

/// A snapshot of a run for progress displays.
public struct ProduceProgress: Sendable {
    public var phase: String
    public var sent: [Entity: Int]
    public var total: Int
    public var delivered: Int
    public var failed: Int
    public var elapsed: Duration

    public var sentTotal: Int { sent.values.reduce(0, +) }
    public var rate: Double { elapsed.seconds > 0 ? Double(sentTotal) / elapsed.seconds : 0 }
    /// Seconds left at the current rate; nil before anything was sent.
    public var remainingSeconds: Double? { rate > 0 ? Double(total - sentTotal) / rate : nil }
}

/// What a run did.
public struct ProduceSummary: Sendable {
    public var slice: SliceSummary
    public var sent: [Entity: Int]
    /// Bytes of keys and values published.
    public var sentBytes: Int
    /// Records published per facility (its own `ce_source`).
    public var perFacility: [String: Int]
    public var delivered: Int
    public var failed: Int
    public var undelivered: Int
    public var firstFailure: KafkaError?
    public var elapsed: Duration
    /// Time spent publishing (after slicing and ordering).
    public var publishing: Duration

    public var sentTotal: Int { sent.values.reduce(0, +) }
    /// Records that did not reach Kafka (failed or never acknowledged).
    public var lost: Int { failed + undelivered }
}

/// Publishes the slices of many facilities from one export.
///
/// Each facility is its own logical producer (its own `ce_source`, its own counts); they run
/// concurrently in this process, interleaved on one event timeline (so pacing by event time
/// keeps every facility in step), sharing one idempotent librdkafka client: one connection
/// pool and delivery thread instead of one per facility.
public final class FacilityProducers {
    private let options: ProduceOptions
    private let producer: KafkaProducer
    private let builder: RecordMessageBuilder
    private let logger: Logger

    public init(options: ProduceOptions, producer: KafkaProducer, builder: RecordMessageBuilder, logger: Logger) {
        self.options = options
        self.producer = producer
        self.builder = builder
        self.logger = logger
    }

    /// Enqueues a message; returns the error when the client refuses this one message, and
    /// throws errors that concern the whole run (a fatal client error).
    private func produceOrRefusal(_ message: OutgoingMessage) throws(KafkaError) -> KafkaError? {
        do {
            try producer.produce(message)
            return nil
        } catch {
            if error.kind == .delivery { return error }
            throw error
        }
    }

    public func run(progress: (ProduceProgress) -> Void) throws -> ProduceSummary {
        let started = ContinuousClock.now
        let export = try SyntheaExport(directory: options.exportDirectory, limits: options.csvLimits)
        let slicer = FacilitySlicer(export: export, options: SliceOptions(
            facilities: options.facilities, order: options.order, memoryBudget: options.memoryBudget))
        let (stream, slice) = try slicer.slice { phase in
            progress(ProduceProgress(phase: phase, sent: [:], total: 0, delivered: 0, failed: 0, elapsed: .now - started))
        }
        if !slice.unknownFacilities.isEmpty {
            throw PipelineError.unknownFacilities(file: export.path(of: .organizations), ids: slice.unknownFacilities)
        }

        var pacer = Pacer(rate: options.rate, speedup: options.speedup)
        var sent: [Entity: Int] = [:]
        var perFacility: [String: Int] = [:]
        var sentBytes = 0
        var ids = MessageIDs()
        var refused = 0
        var firstRefusal: KafkaError?
        var clockMillisecond = Date()
        var clockText = CivilTime.formatTimestamp(clockMillisecond)
        let sendStart = ContinuousClock.now
        var lastReport = ContinuousClock.now
        func snapshot(_ phase: String) -> ProduceProgress {
            let stats = producer.statistics
            return ProduceProgress(phase: phase, sent: sent, total: slice.total, delivered: stats.delivered,
                                   failed: stats.failed, elapsed: .now - sendStart)
        }
        while let record = try stream.next() {
            let wait = pacer.delay(eventTime: record.eventTime)
            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
            let now = Date()
            if now.timeIntervalSince(clockMillisecond) >= 0.001 || now < clockMillisecond {
                clockMillisecond = now
                clockText = CivilTime.formatTimestamp(now)
            }
            let message = builder.message(for: record, ingestedAt: clockText, id: ids.next())
            sentBytes += (message.key?.count ?? 0) + (message.value?.count ?? 0)
            if let refusal = try produceOrRefusal(message) {
                // Refused by the client (e.g. larger than message.max.bytes): count it, go on.
                let error = refusal
                refused += 1
                if firstRefusal == nil {
                    firstRefusal = KafkaError(.delivery, code: error.code, message: "\(record.entity.rawValue) \(export.path(of: record.entity)):\(record.row.line): \(error.message)")
                    logger.error("\(firstRefusal!.message)")
                }
            }
            sent[record.entity, default: 0] += 1
            perFacility[record.facility, default: 0] += 1
            if ContinuousClock.now - lastReport > .milliseconds(200) {
                lastReport = .now
                progress(snapshot("publishing"))
            }
        }
        progress(snapshot("flushing"))
        var flushError: KafkaError?
        do {
            try producer.flush(timeoutMs: options.flushTimeoutMs)
        } catch {
            flushError = error
            logger.error("\(error.message)")
        }
        let stats = producer.statistics
        progress(snapshot("done"))
        return ProduceSummary(slice: slice, sent: sent, sentBytes: sentBytes, perFacility: perFacility, delivered: stats.delivered,
                              failed: stats.failed + refused, undelivered: stats.inFlight,
                              firstFailure: firstRefusal ?? stats.firstFailure ?? flushError,
                              elapsed: .now - started, publishing: .now - sendStart)
    }
}

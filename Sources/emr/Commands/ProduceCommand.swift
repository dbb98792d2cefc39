import ArgumentParser
import Foundation
import Kafka
import Pipeline
import Synthea

/// `emr produce`: facility producers over a Synthea export.
struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Publish facility slices of a Synthea CSV export to the raw topics.",
        discussion: """
            A facility is an organization. Its slice: its organizations row, its providers, its \
            encounters with their conditions and medications, and every patient it saw (spec \
            section 2). Messages follow spec section 3: natural key, the raw row as JSON, \
            CloudEvents headers (ce_source identifies the facility), partitioned by patient id. \
            Exits 1 if any record was not delivered, saying how many.

            Examples:
              emr produce --export ../shared/synthea/mcode-L2-115p --all-facilities
              emr produce --export out/sample --facility 4e56a6d4-... --rate 500
              emr produce --export out/sample --all-facilities --speedup 31536000  # 1 y/s
            """
    )

    @Option(name: .long, help: ArgumentHelp("Synthea CSV export directory.", valueName: "dir"))
    var export: String

    @Option(name: .customLong("facility"), help: ArgumentHelp("Organization Id of a facility to publish (repeatable).", valueName: "org-id"))
    var facilities: [String] = []

    @Flag(name: .long, help: "Publish every organization in organizations.csv, one producer each.")
    var allFacilities = false

    @Option(name: .long, help: ArgumentHelp("At most this many records per second (all facilities together).", valueName: "records-per-s"))
    var rate: Double?

    @Option(name: .long, help: ArgumentHelp("Replay event time this many times faster than real time.", valueName: "factor"))
    var speedup: Double?

    @Option(name: .long, help: "Publish order: event-time (by encounter START) or file.")
    var order: PublishOrder = .eventTime

    @Option(name: .long, help: ArgumentHelp("Memory for each sort buffer before spilling to temp files.", valueName: "MiB"))
    var sortMemory: Int = 16

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for outstanding deliveries at the end.", valueName: "s"))
    var flushTimeout: Int = 120

    @Option(name: .long, help: ArgumentHelp("Longest CSV record accepted; a longer one stops the run naming file and line.", valueName: "bytes"))
    var maxRecordBytes = CSVLimits.defaultMaxRecordBytes

    @Flag(name: .long, help: "Publish bytes that are not UTF-8 as U+FFFD instead of stopping at them (file:line).")
    var replaceInvalidUTF8 = false

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var topics: TopicsDirectoryOption
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if allFacilities == !facilities.isEmpty {
            throw ValidationError("give either --facility ORG_ID (repeatable) or --all-facilities")
        }
        try OptionChecks.nonEmpty(export, "--export")
        try OptionChecks.nonEmpty(kafka.brokers, "--brokers (or EMR_BROKERS)")
        try OptionChecks.check(rate, "--rate", 0.001...1e9, unit: " records/s")
        try OptionChecks.check(speedup, "--speedup", 0.001...1e12)
        try OptionChecks.check(sortMemory, "--sort-memory", 1...65_536, unit: " MiB")
        try OptionChecks.check(flushTimeout, "--flush-timeout", 1...86_400, unit: " s")
        try OptionChecks.check(maxRecordBytes, "--max-record-bytes", 1_024...(1 << 30), unit: " bytes")
    }

    func run() throws {
        let logger = logging.makeLogger("emr.produce")
        let builder = try RecordMessageBuilder(catalog: try topics.catalog())
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: try kafka.configuration()), logger: logger)
        var options = ProduceOptions(exportDirectory: export, facilities: allFacilities ? nil : Set(facilities))
        options.order = order
        options.rate = rate
        options.speedup = speedup
        options.memoryBudget = sortMemory << 20
        options.flushTimeoutMs = Int32(flushTimeout * 1000)
        options.csvLimits = CSVLimits(maxRecordBytes: maxRecordBytes, replaceInvalidUTF8: replaceInvalidUTF8)
        let display = ProgressDisplay()
        let summary = try FacilityProducers(options: options, producer: producer, builder: builder, logger: logger)
            .run(progress: display.show)
        display.finish()
        try? producer.close(timeoutMs: 1_000)
        print(ProduceReport.line(summary))
        if summary.lost > 0 {
            let cause = summary.firstFailure.map { " (first error: \($0.message))" } ?? ""
            throw RuntimeFailure("\(summary.lost) of \(summary.sentTotal) record(s) not delivered\(cause)")
        }
    }
}

extension PublishOrder: ExpressibleByArgument {}

/// The one-line summary of a produce run.
enum ProduceReport {
    static func line(_ s: ProduceSummary) -> String {
        let seconds = s.elapsed.seconds
        let entities = Entity.allCases.map { "\($0.rawValue) \(s.sent[$0] ?? 0)" }.joined(separator: ", ")
        var text = String(format: "produced %d records (avg %d B) for %d facilities in %.2f s (%.0f rec/s): %@; delivered %d, failed %d",
                          s.sentTotal, s.sentBytes / max(s.sentTotal, 1), s.perFacility.count, seconds,
                          Double(s.sentTotal) / max(seconds, 1e-9), entities, s.delivered, s.lost)
        text += String(format: "; publishing alone %.2f s (%.0f rec/s)", s.publishing.seconds,
                       Double(s.sentTotal) / max(s.publishing.seconds, 1e-9))
        let outside = s.slice.outsideSlices.filter { $0.value > 0 }
        if !outside.isEmpty {
            text += "; outside every slice: " + outside.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        }
        return text
    }
}

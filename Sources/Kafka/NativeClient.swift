import CRdKafka
import Foundation

/// Owns one `rd_kafka_t` and the context its callbacks use; destroys both deterministically.
///
/// librdkafka documents its handles as thread-safe, which is why this wrapper may be shared
/// across threads; all Swift-side mutable state lives in ``ClientContext`` behind a lock.
final class NativeClient: @unchecked Sendable {
    let handle: OpaquePointer
    let context: ClientContext
    private let retainedContext: Unmanaged<ClientContext>

    /// Creates a client. `settings` are applied in order (later ones win); `configure` may install
    /// extra callbacks on the configuration before the client is created.
    init(
        type: rd_kafka_type_t,
        settings: [(String, String)],
        context: ClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in settings {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                // Never echo a value: a misspelled secret's name does not look secret, and
                // librdkafka quotes refused values in its own message.
                var reason = String(cBuffer: errstr)
                if !value.isEmpty { reason = reason.replacingOccurrences(of: value, with: "[redacted]") }
                throw KafkaError(.configuration, message: "kafka property \(name) (value redacted): \(reason)")
            }
        }
        let retained = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buffer in
            guard let rk, let context = ClientContext.from(rd_kafka_opaque(rk)) else { return }
            context.log(
                level: level,
                facility: facility.map { String(cString: $0) } ?? "",
                message: buffer.map { String(cString: $0) } ?? ""
            )
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            ClientContext.from(opaque)?.record(
                error: rd_kafka_resp_err_t(rawValue: err),
                reason: reason.map { String(cString: $0) } ?? "",
                handle: rk
            )
        }
        configure(conf)
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // On failure librdkafka leaves the configuration with us.
            rd_kafka_conf_destroy(conf)
            retained.release()
            var reason = String(cBuffer: errstr)
            for (name, value) in settings where KafkaConfiguration.isSecret(name) && !value.isEmpty {
                reason = reason.replacingOccurrences(of: value, with: "[redacted]")
            }
            throw KafkaError(.clientCreation, message: "cannot create Kafka client: \(reason)")
        }
        self.handle = handle
        self.context = context
        self.retainedContext = retained
    }

    deinit {
        rd_kafka_destroy(handle)
        retainedContext.release()
    }

    /// librdkafka's name for this client instance (e.g. `rdkafka#producer-1`).
    var name: String { String(cString: rd_kafka_name(handle)) }
}

import CCurl
import Foundation

/// libcurl's global state, set up once before the first handle (curl_global_init is not
/// guaranteed thread-safe, and a lazy global is initialized exactly once).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// Performs a `CurlRequest` with the easy interface on the calling thread: a fresh handle per
/// transfer, so no connection, cookie or setting carries over between channels.
enum CurlTransfer {
    /// Answers are read for error messages only; more is discarded (but still read).
    static let responseLimit = 16 * 1024

    static func perform(_ request: CurlRequest) throws(CurlError) -> CurlResponse {
        guard curlGlobalInit == CURLE_OK else {
            throw CurlError(code: curlGlobalInit.rawValue, message: "libcurl could not be initialized", retryable: false)
        }
        guard let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT.rawValue, message: "libcurl could not make a handle", retryable: false)
        }
        defer { curl_easy_cleanup(handle) }
        let state = TransferState()
        if case .mail(_, _, let message) = request.body { state.upload = message }
        var headerList: UnsafeMutablePointer<curl_slist>?
        var recipientList: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(headerList)
            curl_slist_free_all(recipientList)
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        return try withExtendedLifetime(state) { () throws(CurlError) -> CurlResponse in
            let context = Unmanaged.passUnretained(state).toOpaque()
            var options = Options(handle: handle)
            options.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
            options.set(CURLOPT_URL, string: request.url)
            options.set(CURLOPT_PROTOCOLS_STR, string: request.protocols)
            // Redirects are not followed (the default): a webhook that moves is a configuration
            // to fix, and following it would send the body somewhere nobody configured.
            // No signals: the process is multi-threaded, and libcurl's SIGALRM for DNS timeouts
            // would hit any thread.
            options.set(CURLOPT_NOSIGNAL, 1)
            let milliseconds = max(1, Int(request.timeout.components.seconds) * 1000
                + Int(request.timeout.components.attoseconds / 1_000_000_000_000_000))
            options.set(CURLOPT_TIMEOUT_MS, milliseconds)
            options.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
            if let caFile = request.caFile { options.set(CURLOPT_CAINFO, string: caFile) }
            if let username = request.username { options.set(CURLOPT_USERNAME, string: username) }
            if let password = request.password { options.set(CURLOPT_PASSWORD, string: password) }
            options.set(CURLOPT_WRITEDATA, pointer: context)
            options.set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, userdata in
                let total = size * count
                guard let buffer, let userdata else { return total }
                let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
                let room = max(0, CurlTransfer.responseLimit - state.response.count)
                if room > 0 {
                    buffer.withMemoryRebound(to: UInt8.self, capacity: total) {
                        state.response.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(room, total)))
                    }
                }
                return total
            })

            for header in request.headers { headerList = curl_slist_append(headerList, header) }
            switch request.body {
            case .none:
                options.set(CURLOPT_HTTPGET, 1)
            case .post(let bytes):
                options.set(CURLOPT_POST, 1)
                options.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(bytes.count))
                // COPYPOSTFIELDS: libcurl keeps its own copy, so no Swift buffer must outlive the call.
                bytes.withUnsafeBytes { raw in
                    options.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(errorBuffer)))
                }
                // No "Expect: 100-continue": a receiver that ignores it would cost a second's wait.
                headerList = curl_slist_append(headerList, "Expect:")
            case .mail(let from, let recipients, let message):
                options.set(CURLOPT_MAIL_FROM, string: from)
                for recipient in recipients { recipientList = curl_slist_append(recipientList, recipient) }
                options.set(CURLOPT_MAIL_RCPT, list: recipientList)
                options.set(CURLOPT_UPLOAD, 1)
                options.set(CURLOPT_INFILESIZE_LARGE, offset: curl_off_t(message.count))
                options.set(CURLOPT_READDATA, pointer: context)
                // libcurl does the SMTP dot-stuffing of lines that begin with "." itself.
                options.set(CURLOPT_READFUNCTION, callback: { buffer, size, count, userdata in
                    guard let buffer, let userdata else { return 0 }
                    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
                    let length = min(size * count, state.upload.count - state.uploaded)
                    guard length > 0 else { return 0 }
                    state.upload.withUnsafeBytes { raw in
                        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + state.uploaded, byteCount: length)
                    }
                    state.uploaded += length
                    return length
                })
            }
            if request.requireTLS { options.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
            if let headerList { options.set(CURLOPT_HTTPHEADER, list: headerList) }
            if let failed = options.failed {
                throw CurlError(code: failed.rawValue, message: "libcurl refused an option: \(String(cString: curl_easy_strerror(failed)))",
                                retryable: false)
            }

            let code = curl_easy_perform(handle)
            var status = 0
            _ = silo_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            guard code == CURLE_OK else {
                let detail = String(cString: errorBuffer)
                let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
                throw CurlError(code: code.rawValue, message: message, retryable: isRetryable(code))
            }
            return CurlResponse(status: status, body: state.response)
        }
    }

    /// Failures that no retry mends: the URL, the protocol, the certificate, the login, a
    /// server without STARTTLS. Anything else (connect, DNS, timeouts, resets) may pass.
    private static func isRetryable(_ code: CURLcode) -> Bool {
        let permanent: [CURLcode] = [
            CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_PEER_FAILED_VERIFICATION,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED,
            CURLE_REMOTE_ACCESS_DENIED, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_UNKNOWN_OPTION, CURLE_FILESIZE_EXCEEDED,
            CURLE_AUTH_ERROR,
        ]
        return !permanent.contains(code)
    }

    /// The buffers the C callbacks reach through their userdata pointer; used by one transfer on
    /// one thread only.
    private final class TransferState {
        var response: [UInt8] = []
        var upload: [UInt8] = []
        var uploaded = 0
    }

    /// curl_easy_setopt through the shim's typed wrappers, remembering the first refusal so the
    /// setup reads as a list of options.
    private struct Options {
        let handle: UnsafeMutableRawPointer
        var failed: CURLcode?

        private mutating func note(_ code: CURLcode) {
            if code != CURLE_OK, failed == nil { failed = code }
        }

        mutating func set(_ option: CURLoption, _ value: Int) { note(silo_curl_setopt_long(handle, option, value)) }
        mutating func set(_ option: CURLoption, string: String) { note(silo_curl_setopt_string(handle, option, string)) }
        mutating func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) { note(silo_curl_setopt_pointer(handle, option, pointer)) }
        mutating func set(_ option: CURLoption, list: UnsafeMutablePointer<curl_slist>?) { note(silo_curl_setopt_slist(handle, option, list)) }
        mutating func set(_ option: CURLoption, offset: curl_off_t) { note(silo_curl_setopt_offset(handle, option, offset)) }
        mutating func set(_ option: CURLoption, callback: silo_curl_data_callback) { note(silo_curl_setopt_callback(handle, option, callback)) }
    }
}

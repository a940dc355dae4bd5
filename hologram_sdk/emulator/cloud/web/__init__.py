"""The local cloud's HTTP side: a routing table (:mod:`.app`) served by the standard
library's ``ThreadingHTTPServer`` (:mod:`.httpd`)."""

"""The built-in streaming sources, one package each (`datagen`, `file`, `url`, `mqtt`,
`nats`), found through the entry-point group `headwater.sources` like any plug-in; and what
they share: `lines` (complete lines out of bytes), `paths` (the allowed directories), `tls`
(a transport's `tls` block). The runtime imports none of this: it gets source classes from
the registry (`headwater.connectors.registry`)."""

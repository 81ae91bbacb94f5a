"""Inside Microsoft Teams: the school's own bot shows each person what the school needs from
them as a card in their chat, records an acknowledgement or an AUP signature from the card's
button (the same service as the web pages), and tells the DSL of a new concern in seconds."""

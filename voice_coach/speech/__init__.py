"""Speech in and out: audio, endpointing, recognizers, the second opinion, voice templates, speech out."""

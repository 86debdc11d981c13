"""Plays the outside agencies (police, procuratorate, monitoring station, appraisal institution, notifier)
over real HTTP, for running and testing without the real systems."""

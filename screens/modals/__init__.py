"""Dialogs typed by what they return: confirmation, signature, drafts."""

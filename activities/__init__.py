"""Volunteer activities (志愿服务活动): publishing, sign-up, check-in and out, closing."""
